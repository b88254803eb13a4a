"""Plex file paths: prefixes normalised once (``prefixes``) and mapped to local paths
(``resolve``), the same way for the scans, the API and the UI."""
