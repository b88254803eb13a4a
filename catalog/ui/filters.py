"""The show list's filters, parsed from the query string; bad values are named, never a 500."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import QueryDict

from catalog.rules import vocab
from catalog.ui.ids import is_digits

# TVMaze's genre vocabulary, the rules' own: a fixed list, so the filter needs no scan of
# 100,000 JSON arrays.
GENRES = vocab.GENRES
ORDERINGS = {"title": ("title", "id"), "-premiered": ("-premiered", "id"),
             "premiered": ("premiered", "id"), "-id": ("-id",)}
LOADING = ("idle", "queued", "loading", "done", "failed", "pending", "completed", "partial")
MAX_TEXT = 200
MAX_PAGE = 100_000


@dataclass
class ShowFilters:
    q: str = ""
    status: str = ""
    network: str = ""
    country: str = ""
    language: str = ""
    genre: str = ""
    loading_status: str = ""
    in_library: bool | None = None
    rule: int | None = None
    decision: str = ""
    order: str = "title"
    page: int = 1
    errors: list[str] = field(default_factory=list)

    @property
    def ordering(self) -> tuple[str, ...]:
        return ORDERINGS[self.order]

    def query(self, **override: object) -> str:
        """The query string of these filters (for pagination links), page overridable."""
        values = {"q": self.q, "status": self.status, "network": self.network,
                  "country": self.country, "language": self.language, "genre": self.genre,
                  "loading": self.loading_status, "decision": self.decision,
                  "library": {True: "yes", False: "no", None: ""}[self.in_library],
                  "rule": self.rule or "", "order": "" if self.order == "title" else self.order,
                  "page": self.page, **override}
        return urlencode({k: v for k, v in values.items()
                          if v not in ("", None) and not (k == "page" and v == 1)})

    @property
    def active(self) -> bool:
        return any((self.q, self.status, self.network, self.country, self.language, self.genre,
                    self.loading_status, self.decision, self.rule,
                    self.in_library is not None))


def _text(params: QueryDict, name: str, errors: list[str]) -> str:
    """The trimmed value; a NUL character (PostgreSQL refuses it in text) is an error."""
    value = params.get(name, "").strip()[:MAX_TEXT]
    if "\x00" in value:
        errors.append(f"{name}: must not contain a NUL character")
        return ""
    return value


def _int(params: QueryDict, name: str, errors: list[str], *, minimum: int = 1,
         maximum: int = MAX_PAGE) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not is_digits(raw) or not minimum <= int(raw) <= maximum:
        errors.append(f"{name}: expected a whole number from {minimum} to {maximum}")
        return None
    return int(raw)


def parse_show_filters(params: QueryDict, *, decision_statuses: tuple[str, ...]) -> ShowFilters:
    """Filters from GET; an unknown choice is dropped with a message naming the field."""
    errors: list[str] = []
    f = ShowFilters(q=_text(params, "q", errors), status=_text(params, "status", errors),
                    network=_text(params, "network", errors),
                    country=_text(params, "country", errors),
                    language=_text(params, "language", errors), errors=errors)
    genre = _text(params, "genre", errors)
    if genre and genre not in GENRES:
        errors.append(f"genre: unknown genre {genre!r}")
    else:
        f.genre = genre
    loading = _text(params, "loading", errors)
    if loading and loading not in LOADING:
        errors.append(f"loading: unknown loading status {loading!r}")
    else:
        f.loading_status = loading
    decision = _text(params, "decision", errors)
    if decision and decision not in decision_statuses:
        errors.append(f"decision: unknown decision status {decision!r}")
    else:
        f.decision = decision
    library = _text(params, "library", errors)
    if library not in ("", "yes", "no"):
        errors.append("library: expected yes or no")
    f.in_library = {"yes": True, "no": False}.get(library)
    f.rule = _int(params, "rule", errors, maximum=2**63 - 1)
    order = _text(params, "order", errors) or "title"
    if order not in ORDERINGS:
        errors.append(f"order: expected one of {', '.join(ORDERINGS)}")
        order = "title"
    f.order = order
    f.page = _int(params, "page", errors) or 1
    return f
