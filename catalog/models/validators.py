"""Field validators shared by models, forms and serializers."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

# Python's white space (str.isspace, str.strip), spelled out for OpenAPI patterns: their
# dialect is ECMAScript's, whose \s differs (it lacks \x1c-\x1f and \x85, has \ufeff).
SPACE = r"\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CREDENTIAL = re.compile(r"[!-~]+")


def validate_server_url(value: str) -> None:
    """An http(s) URL with a host and nothing that does not belong in a server address.

    Single-label hosts (``http://plex:32400``) and a path (a reverse proxy's sub-path) are
    fine; credentials are not (the token or key has its own, write-only field), and the
    error never repeats the value, which may hold one.
    """
    example = "e.g. http://plex.local:32400"
    if not value or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError(f"Enter a valid URL, without spaces or control characters, "
                              f"{example}.")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise ValidationError(f"Enter a valid URL, {example}.") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError(f"Only http:// and https:// URLs are allowed, {example}.")
    if not parts.hostname:
        raise ValidationError(f"The URL names no host, {example}.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError("Put no user name or password in the URL: the token or API key "
                              "goes in its own field.")
    if port is not None and not 0 < port < 65536:
        raise ValidationError(f"The port must be between 1 and 65535, {example}.")
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValidationError(f"Give the server URL without a query or fragment, {example}.")


def validate_credential(value: str) -> None:
    """A token or API key is sent as an HTTP header: visible ASCII only, nothing a header
    cannot carry. The error never repeats the value."""
    if not _CREDENTIAL.fullmatch(value):
        raise ValidationError("Use only the key's own characters: letters, digits and "
                              "punctuation, without spaces or other characters.")


def validate_plex_prefix(value: str) -> None:
    """An absolute path as Plex sees it: POSIX (/data/tv), Windows (D:\\TV) or UNC."""
    text = value.strip()
    windows = len(text) >= 2 and text[1] == ":" and text[0].isalpha()
    if not (text.startswith(("/", "\\\\")) or windows):
        raise ValidationError("Give an absolute path as Plex reports it, e.g. /data/tv or D:\\TV.")


def validate_local_prefix(value: str) -> None:
    """An absolute path on the machine mediasync runs on."""
    if not value.strip().startswith("/"):
        raise ValidationError("Give an absolute local path, e.g. /mnt/media/tv.")


def validate_root_folder(value: str) -> None:
    """A Sonarr root folder as Sonarr shows it: POSIX (/tv), Windows (D:\\TV) or UNC."""
    if not _ROOT_FOLDER.match(value.strip()):
        raise ValidationError("must be an absolute path, as Sonarr shows it")


_ROOT_FOLDER = re.compile(r"^(/|[A-Za-z]:\\|\\\\)")

# What each validator accepts, as the OpenAPI ``pattern`` of the fields it guards (see
# catalog.api.schema): a client that follows the schema is never refused by these.
_PORT = (r"(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]"
         r"|6553[0-5]))?")
# Text fields are trimmed before validators run, so white space around a value is allowed.
validate_server_url.openapi_pattern = (rf"^[{SPACE}]*https?://[A-Za-z0-9._~-]+{_PORT}"
                                       rf"(/[^?#{SPACE}\x00-\x1f\x7f]*)?[{SPACE}]*$")
validate_plex_prefix.openapi_pattern = r"^(/|\\\\|[A-Za-z]:)[^\x00]*$"
validate_local_prefix.openapi_pattern = r"^/[^\x00]*$"
validate_credential.openapi_pattern = rf"^[{SPACE}]*[!-~]+[{SPACE}]*$"
validate_root_folder.openapi_pattern = rf"^[{SPACE}]*(/|[A-Za-z]:\\|\\\\)[^\x00]*$"


# An IMDb title id: "tt" and 7 digits today, up to 10 as IMDb grows (ASCII digits only: a
# ``\d`` would also take other scripts' digits). The API refuses others; /find is never sent one.
IMDB_ID = r"^tt[0-9]{7,10}$"
_IMDB_ID = re.compile(IMDB_ID)


def imdb_id_ok(value: str | None) -> bool:
    return bool(value) and _IMDB_ID.fullmatch(value) is not None
