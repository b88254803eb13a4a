"""The API's views, one module per resource: thin, each action calls one service."""
