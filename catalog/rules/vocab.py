"""TVMaze's vocabularies: the values a discovery rule may name, so a typo is a field error.

Genres, show types and statuses are TVMaze's closed lists. Languages are the names TVMaze
uses (its ``language`` field); countries are ISO 3166-1 alpha-2 codes as TVMaze gives them in
``network.country.code``. Networks and web channels are an open set and are not checked.
The checks a save (the API serializer, the admin form) and a preview share live here too,
driven by the criteria table: a typo or an inverted range is the same error everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError

from catalog.models.validators import SPACE
from catalog.rules import criteria as table
from catalog.rules.criteria import Shape

GENRES = (
    "Action", "Adult", "Adventure", "Anime", "Children", "Comedy", "Crime", "DIY", "Drama",
    "Espionage", "Family", "Fantasy", "Food", "History", "Horror", "Legal", "Medical", "Music",
    "Mystery", "Nature", "Romance", "Science-Fiction", "Sports", "Supernatural", "Thriller",
    "Travel", "War", "Western",
)
TYPES = (
    "Scripted", "Animation", "Reality", "Talk Show", "Documentary", "Game Show", "News",
    "Sports", "Variety", "Award Show", "Panel Show",
)
STATUSES = ("Running", "Ended", "To Be Determined", "In Development")
LANGUAGES = (
    "Afrikaans", "Albanian", "Arabic", "Armenian", "Azerbaijani", "Basque", "Bengali",
    "Bosnian", "Bulgarian", "Catalan", "Chinese", "Croatian", "Czech", "Danish", "Dutch",
    "English", "Estonian", "Filipino", "Finnish", "French", "Galician", "Georgian", "German",
    "Greek", "Hebrew", "Hindi", "Hungarian", "Icelandic", "Indonesian", "Irish", "Italian",
    "Japanese", "Kannada", "Kazakh", "Korean", "Latvian", "Lithuanian", "Macedonian", "Malay",
    "Malayalam", "Marathi", "Mongolian", "Norwegian", "Persian", "Polish", "Portuguese",
    "Punjabi", "Romanian", "Russian", "Serbian", "Slovak", "Slovenian", "Spanish", "Swedish",
    "Tagalog", "Tamil", "Telugu", "Thai", "Turkish", "Ukrainian", "Urdu", "Vietnamese", "Welsh",
)
_COUNTRY_CODES = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
"""
COUNTRIES = tuple(_COUNTRY_CODES.split())

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "genres": GENRES, "types": TYPES, "statuses": STATUSES, "languages": LANGUAGES,
    "countries": COUNTRIES,
}

MAX_NETWORK = 200


def tag_ok(label: str) -> bool:
    """A Sonarr tag label as rules keep it: a-z, 0-9 and '-' once lower-cased (the API and the
    admin form both ask here)."""
    text = label.strip()
    return text.isascii() and bool(text) and all(ch.isalnum() or ch == "-" for ch in text)


def _vocabulary(name: str) -> tuple[str, ...] | None:
    """The vocabulary of list criterion or exclude ``name`` (None: free text, networks)."""
    row = table.BY_NAME.get(name) or table.EXCLUDE_BY_NAME[name]
    return None if row.vocabulary is None else VOCABULARIES[row.vocabulary]


def unknown_value(bad: list[str]) -> str:
    """The one message for a name outside its vocabulary (the API's, the admin's, the
    preview's)."""
    return f"unknown value: {bad[0]}"


def canonical_values(name: str, values: Iterable[Any]) -> tuple[list[str], list[str]]:
    """(canonical values, unknown values) for a list criterion or exclude ``name``.

    Vocabulary values are matched case-insensitively and returned in TVMaze's spelling;
    networks are free text, trimmed.
    """
    vocab = _vocabulary(name)
    good: list[str] = []
    bad: list[str] = []
    for raw in values:
        text = str(raw).strip() if raw is not None else ""
        if vocab is None:  # networks
            if not text or len(text) > MAX_NETWORK:
                bad.append(text[:40] or "(empty)")
            elif text not in good:
                good.append(text)
            continue
        match = next((v for v in vocab if v.lower() == text.lower()), None)
        if match is None:
            bad.append(text[:40] or "(empty)")
        elif match not in good:
            good.append(match)
    return good, bad


def value_validator(name: str) -> Callable[[str], None]:
    """A field validator for one value of criterion or exclude ``name``, whose
    ``openapi_pattern`` states the same rule (the vocabulary, any case, or a network name)."""
    vocab = _vocabulary(name)

    def validate(value: str) -> None:
        _, bad = canonical_values(name, [value])
        if bad:
            raise ValidationError(unknown_value(bad))

    if vocab is None:
        validate.openapi_pattern = rf"^[^\x00]*[^{SPACE}\x00][^\x00]*$"
    else:
        spelled = "|".join("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in v)
                           for v in vocab)
        validate.openapi_pattern = rf"^[{SPACE}]*({spelled})[{SPACE}]*$"
    return validate


def range_errors(values: Mapping[str, Any]) -> dict[str, str]:
    """Field errors for inverted ranges and values out of bounds in one selection."""
    errors: dict[str, str] = {}
    for c in table.CRITERIA:
        value = values.get(c.name)
        if value is None:
            continue
        start = None if c.after is None else values.get(c.after)
        if c.shape is Shape.DATE and start is not None and start >= value:
            errors[c.name] = f"must be after {c.after}"
        elif c.shape is not Shape.DATE and start is not None and start > value:
            errors[c.name] = f"must be at least {c.after}"
        if c.bounds is not None and not _within(value, c.bounds):
            low, high = c.bounds
            errors[c.name] = f"must be between {low} and {high}"
    return errors


def _within(value: Any, bounds: tuple[float, float]) -> bool:
    try:
        return bounds[0] <= float(value) <= bounds[1]
    except (TypeError, ValueError):
        return True  # not a number: the field's own check says so


def selection_check(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the selection with its names in TVMaze's spelling, field errors): what a save and a
    preview both check beyond each field's shape (vocabularies, ranges, bounds)."""
    out, errors = _spelled(values, table.LIST_NAMES)
    return out, {**errors, **range_errors(out)}


def excludes_check(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the excludes with their names in TVMaze's spelling, field errors)."""
    return _spelled(values, table.EXCLUDE_NAMES)


def _spelled(values: Mapping[str, Any], names: Iterable[str]
             ) -> tuple[dict[str, Any], dict[str, str]]:
    """Each list among ``names`` in TVMaze's spelling, and the names no vocabulary knows."""
    out, errors = dict(values), {}
    for name in names:
        if out.get(name) is not None:
            out[name], bad = canonical_values(name, out[name])
            if bad:
                errors[name] = unknown_value(bad)
    return out, errors
