"""Common frozen values shared by every client: external ids, pages and rejects.

Per-upstream entity values live in sibling modules (``values.tvmaze``, ``values.plex``...).
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass
from enum import StrEnum
from typing import Generic, TypeVar

__all__ = ["Authority", "ExternalId", "Page", "Reject"]

T = TypeVar("T")


class Authority(StrEnum):
    """Who issued an id; the catalog matches shows across upstreams by these."""

    TVMAZE = "tvmaze"
    TVDB = "tvdb"
    IMDB = "imdb"
    TMDB = "tmdb"
    PLEX = "plex"


@dataclass(frozen=True, slots=True)
class ExternalId:
    """One id of one authority, written ``authority:value`` (e.g. ``tvdb:81189``)."""

    authority: Authority
    value: str

    def __post_init__(self) -> None:
        # Accept a plain string authority but always store the enum, so equality holds.
        object.__setattr__(self, "authority", Authority(self.authority))
        value = str(self.value).strip()
        if not value:
            raise ValueError("external id value must not be empty")
        object.__setattr__(self, "value", value)

    @classmethod
    def parse(cls, text: str) -> ExternalId:
        """Parse ``"tvdb:81189"``; raise ValueError for an unknown authority or empty value."""
        authority, sep, value = str(text).strip().partition(":")
        if not sep:
            raise ValueError(f"not an external id (want 'authority:value'): {text!r}")
        try:
            parsed = Authority(authority.strip().lower())
        except ValueError:
            raise ValueError(f"unknown authority {authority!r} in {text!r}") from None
        if not value.strip():
            raise ValueError(f"external id without a value: {text!r}")
        return cls(parsed, value.strip())

    @property
    def descriptor(self) -> str:
        """The canonical ``authority:value`` form, the inverse of :meth:`parse`."""
        return f"{self.authority.value}:{self.value}"

    def __str__(self) -> str:
        return self.descriptor


@dataclass(frozen=True, slots=True)
class Reject:
    """One upstream record we could not parse; the rest of its page still lands."""

    ref: str
    reason: str


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; pass ``cursor`` back to get the next (None = last page)."""

    items: tuple[T, ...]
    cursor: str | None
    total: int | None = None
    rejects: tuple[Reject, ...] = ()

    def __post_init__(self) -> None:
        # Freeze what callers pass as lists so the page is truly immutable.
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "rejects", tuple(self.rejects))

    @property
    def is_last(self) -> bool:
        """True when there is nothing after this page."""
        return self.cursor is None


def _refuse_assignment(self: object, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


# Python 3.11's frozen+slots dataclass __setattr__ calls super() on the pre-slots class and
# fails with TypeError; ``Page[Show](...)`` trips it by setting ``__orig_class__`` (typing
# only tolerates AttributeError). Refuse every assignment with FrozenInstanceError instead.
Page.__setattr__ = _refuse_assignment  # type: ignore[assignment,method-assign]
