"""Database plumbing every engine shares: multi-row upserts, sync cursors, batching.

Nothing here knows a sync kind or a rule; it knows tables, statements and round trips.
"""
