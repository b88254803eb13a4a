"""Checks every upstream parser shares: what the catalog's columns can hold.

Ids and counts are stored as 32-bit unsigned-in-practice integers and text in PostgreSQL,
which refuses a NUL character (and no database stores a lone surrogate); a record carrying
either must be refused by its parser, alone, rather than fail the page's whole transaction
at the database.
"""

from __future__ import annotations

__all__ = ["MAX_INT", "check_count", "check_text"]

MAX_INT = 2**31 - 1  # the largest id or count an integer column holds on every database


def check_count(value: int, key: str) -> int:
    """An id or count the catalog can store (0 .. MAX_INT); ValueError otherwise."""
    if not 0 <= value <= MAX_INT:
        raise ValueError(f"{key} is out of range")
    return value


def check_text(value: str, key: str) -> str:
    """Text without a NUL character or a lone surrogate (no database encodes one);
    ValueError otherwise."""
    if "\x00" in value:
        raise ValueError(f"{key} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{key} contains a lone surrogate") from None
    return value
