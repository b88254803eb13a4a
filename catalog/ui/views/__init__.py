"""Thin page views: parse the request, call selectors or one action, render."""
