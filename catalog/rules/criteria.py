"""The one table of discovery-rule criteria and excludes; every surface is derived from it.

A row says what a criterion is called, what shape its value has (a list of names, a date, a
whole or a decimal number), how the engine compares it with a show (``test``), the TVMaze
vocabulary its names come from (None: free text, or not a list), its bounds, the show facts
it reads, the label its failure reasons start with, and the admin's wording. The engine
evaluates, the API serializer and the admin form build their fields, the preview accepts
names and groups shows, and the validation shared by a save and a preview checks values,
all from these rows. Rows are in the order the engine checks them, so a show failing two
criteria is reported by the first, as it always was.

Pure data: no Django, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Shape(StrEnum):
    LIST = "list"  # names (a vocabulary's, or free text)
    DATE = "date"
    INT = "int"
    FLOAT = "float"


class Test(StrEnum):
    ANY = "any"  # the show has one of the names
    NONE = "none"  # the show has none of the names
    IN = "in"  # the show's one value is among the names
    FROM = "from"  # on or after the bound
    BEFORE = "before"  # before the bound
    MIN = "min"  # at least the bound
    MAX = "max"  # at most the bound


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    shape: Shape
    test: Test
    reads: tuple[str, ...]  # ShowFacts fields (and Show columns)
    label: str  # failure reasons read "<label>:<value>", "<label><bound>"...
    title: str  # the admin form's label
    vocabulary: str | None = None  # a key of vocab.VOCABULARIES
    bounds: tuple[float, float] | None = None
    folded: bool = False  # names compared case- and Unicode-folded (networks)
    bare: bool = False  # the reason is the value itself: ``ended``, not ``status:Ended``
    after: str | None = None  # the other end of a range, which this one must follow

    @property
    def help(self) -> str:
        """The rule between two fields that a schema cannot state, in words."""
        if self.after is None:
            return ""
        return f"{'After' if self.shape is Shape.DATE else 'At least'} {self.after}."


@dataclass(frozen=True, slots=True)
class Exclude:
    name: str
    reads: tuple[str, ...]
    label: str  # reasons read "exclude:<label>:<value>"
    title: str
    vocabulary: str | None = None
    folded: bool = False


L, D, N, R = Shape.LIST, Shape.DATE, Shape.INT, Shape.FLOAT  # list, date, number, real
NETWORKS = ("network", "web_channel")
RUNTIME = (0, 10_000)
RATING = (0, 10)

CRITERIA: tuple[Criterion, ...] = (
    Criterion("genres_any", L, Test.ANY, ("genres",), "genre", "Genres (any of)", "genres"),
    Criterion("genres_none", L, Test.NONE, ("genres",), "genre", "Genres (none of)", "genres"),
    Criterion("types", L, Test.IN, ("type",), "type", "Types", "types"),
    Criterion("countries", L, Test.IN, ("country",), "country", "Countries", "countries"),
    Criterion("languages", L, Test.IN, ("language",), "language", "Languages", "languages"),
    Criterion("statuses", L, Test.IN, ("status",), "status", "Statuses", "statuses",
              bare=True),
    Criterion("premiered_from", D, Test.FROM, ("premiered",), "premiered",
              "Premiered on or after"),
    Criterion("premiered_before", D, Test.BEFORE, ("premiered",), "premiered",
              "Premiered before", after="premiered_from"),
    Criterion("runtime_min", N, Test.MIN, ("runtime",), "runtime",
              "Runtime at least (minutes)", bounds=RUNTIME),
    Criterion("runtime_max", N, Test.MAX, ("runtime",), "runtime",
              "Runtime at most (minutes)", bounds=RUNTIME, after="runtime_min"),
    Criterion("networks_any", L, Test.ANY, NETWORKS, "network",
              "Networks or web channels (any of)", folded=True),
    Criterion("networks_none", L, Test.NONE, NETWORKS, "network",
              "Networks or web channels (none of)", folded=True),
    Criterion("rating_min", R, Test.MIN, ("rating",), "rating", "TVMaze rating at least",
              bounds=RATING),
)

EXCLUDES: tuple[Exclude, ...] = (
    Exclude("genres", ("genres",), "genre", "Exclude genres", "genres"),
    Exclude("types", ("type",), "type", "Exclude types", "types"),
    Exclude("countries", ("country",), "country", "Exclude countries", "countries"),
    Exclude("languages", ("language",), "language", "Exclude languages", "languages"),
    Exclude("statuses", ("status",), "status", "Exclude statuses", "statuses"),
    Exclude("networks", NETWORKS, "network", "Exclude networks or web channels", folded=True),
)

BY_NAME: dict[str, Criterion] = {c.name: c for c in CRITERIA}
EXCLUDE_BY_NAME: dict[str, Exclude] = {e.name: e for e in EXCLUDES}
NAMES: tuple[str, ...] = tuple(BY_NAME)
EXCLUDE_NAMES: tuple[str, ...] = tuple(EXCLUDE_BY_NAME)
LIST_NAMES: tuple[str, ...] = tuple(c.name for c in CRITERIA if c.shape is Shape.LIST)
RANGE_NAMES: tuple[str, ...] = tuple(c.name for c in CRITERIA if c.shape is not Shape.LIST)


def _check() -> None:
    """A row that cannot work fails at import, not at the first show it meets."""
    lists = (Test.ANY, Test.NONE, Test.IN)
    for c in CRITERIA:
        wrong = ((c.shape is Shape.LIST) != (c.test in lists)
                 or (c.test is Test.IN and len(c.reads) != 1)
                 or (c.after is not None and BY_NAME[c.after].reads != c.reads)
                 or (c.bounds is not None and c.shape not in (Shape.INT, Shape.FLOAT)))
        if wrong:
            raise ValueError(f"criteria table: the row {c.name} cannot be evaluated")
    if len(BY_NAME) != len(CRITERIA) or len(EXCLUDE_BY_NAME) != len(EXCLUDES):
        raise ValueError("criteria table: a name is listed twice")


_check()
