"""The Plex listener: each enabled server's notification stream turned into refreshes and scans.

``coalesce`` gathers events into batches (pure, on an injected clock), ``submit`` turns a due
batch into a queued run (a refresh of a few shows and items, or a library's incremental
scan) through the run machinery, ``state`` records each stream's health where the web can
read it, and ``listener`` is the long-lived process ``manage.py listen`` runs.
"""
