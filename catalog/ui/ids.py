"""Row ids from URLs and forms: digits that fit a 64-bit column, else nothing (no 500)."""

from __future__ import annotations

MAX_ID = 2**63 - 1


def is_digits(raw: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also says yes to "²" (which ``int`` refuses) and to
    other scripts' digits, none of which belongs in a URL number."""
    return raw.isascii() and raw.isdigit()


def as_id(raw: str | None) -> int | None:
    """``raw`` as a row id, or None when it is not one any table could hold."""
    raw = (raw or "").strip()
    if not is_digits(raw) or len(raw) > 19:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


class IdConverter:
    """``<id:name>`` in routes: 1 to 18 digits, so that a longer one is a plain 404."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
