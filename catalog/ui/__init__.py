"""The web UI: server-rendered pages over the selectors, buttons over the services."""
