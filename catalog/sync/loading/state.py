"""The parts of a show's load, their flags, and the seed-style status object the API shows."""

from __future__ import annotations

from typing import Any

from catalog.models import Show

PARTS = ("facts", "episodes", "metadata", "artwork")
FLAGS = {"facts": "facts_loaded", "episodes": "episodes_loaded", "metadata": "tmdb_loaded",
         "artwork": "artwork_loaded"}
MAX_TRIES = 3
Status = Show.LoadingStatus
OUTCOMES = (Status.COMPLETED, Status.PARTIAL, Status.FAILED)
LOADING = (Status.LOADING_FACTS, Status.LOADING_EPISODES, Status.LOADING_METADATA,
           Status.LOADING_ARTWORK)
ACTIVE = (Status.PENDING, *LOADING)
LOADING_PREFIX = "loading_"


def loading_status_for(part: str) -> str:
    return f"{LOADING_PREFIX}{part}"


def parts_valid(parts: Any) -> list[str]:
    """Known parts in load order, without repeats; ValueError names an unknown one."""
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise ValueError(f"unknown part {unknown[0]!r}; choose from {', '.join(PARTS)}")
    return [p for p in PARTS if p in set(parts)]


def parts_missing(show: Show) -> list[str]:
    """Parts whose flag is not set yet (never loaded, or failed)."""
    return [p for p in PARTS if not getattr(show, FLAGS[p])]


def progress(show: Show) -> dict[str, bool]:
    return {part: bool(getattr(show, FLAGS[part])) for part in PARTS}


def outcome(show: Show) -> str:
    """After a load: completed (no part failed), partial (some did) or failed (nothing loaded)."""
    if not show.loading_errors:
        return Status.COMPLETED
    if any(progress(show).values()):
        return Status.PARTIAL
    return Status.FAILED


def message(show: Show) -> str:
    """One line for people: what is happening or how it ended."""
    status = show.loading_status
    if status == Status.IDLE:
        return "Not loaded; add the show or ask for a load."
    if status == Status.PENDING:
        retrying = [p for p in show.loading_parts if show.loading_attempts.get(p)]
        if retrying:
            return f"Waiting to retry {', '.join(retrying)}."
        return f"Queued: {', '.join(show.loading_parts) or 'nothing'}."
    if status.startswith(LOADING_PREFIX):
        return f"Loading {status.removeprefix(LOADING_PREFIX)}."
    failed = sorted(show.loading_errors, key=PARTS.index)
    if status == Status.COMPLETED:
        return "Loaded."
    if status == Status.PARTIAL:
        return f"Loaded, except {', '.join(failed)}."
    return f"Failed: {', '.join(failed)}."


def loading_state(show: Show) -> dict[str, Any]:
    """``loading_status``, a ``progress`` flag per part, times, message and error."""
    return {
        "id": show.pk, "title": show.title, "loading_status": show.loading_status,
        "progress": progress(show), "parts": list(show.loading_parts),
        "started_at": show.loading_started_at, "completed_at": show.loading_completed_at,
        "next_try_at": show.loading_next_at if show.loading_status == Status.PENDING else None,
        "message": message(show), "error": show.loading_error or None,
        "errors": dict(show.loading_errors),
    }


def error_line(errors: dict[str, str]) -> str:
    return "; ".join(f"{p}: {errors[p]}" for p in PARTS if p in errors)[:2000]
