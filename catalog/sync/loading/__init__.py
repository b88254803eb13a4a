"""Background loading of a show's parts: facts, episodes, metadata and artwork.

``add`` creates or finds the show; ``queue`` holds the queue, the claim and the loaders;
``runner`` loads one show after another; ``parts`` and ``artwork`` are the parts; ``state`` the
flags and the status object.
"""

from catalog.sync.loading.add import AddResult, show_add
from catalog.sync.loading.queue import (
    loaders_kick,
    show_claim_next,
    show_queue,
    show_request,
    shows_queue_new,
    shows_request,
    shows_requeue_orphans,
)
from catalog.sync.loading.runner import loader_work, show_load
from catalog.sync.loading.state import PARTS, loading_state, parts_valid

__all__ = [
    "PARTS", "AddResult", "loader_work", "loaders_kick", "loading_state", "parts_valid",
    "show_add", "show_claim_next", "show_load", "show_queue", "show_request", "shows_queue_new",
    "shows_request", "shows_requeue_orphans",
]
