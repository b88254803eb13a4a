"""Field validators shared by models, forms and serializers."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError


def validate_server_url(value: str) -> None:
    """An http(s) URL with a host; single-label hosts (``http://plex:32400``) are fine."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise ValidationError("Enter a valid URL, e.g. http://plex.local:32400.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Enter a valid URL, e.g. http://plex.local:32400.")
    if port is not None and not 0 < port < 65536:
        raise ValidationError("Enter a valid URL, e.g. http://plex.local:32400.")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError("Give the server URL without credentials, query or fragment.")


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


# What each validator accepts, as the OpenAPI ``pattern`` of the fields it guards (see
# catalog.api.schema): a client that follows the schema is never refused by these.
_PORT = (r"(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]"
         r"|6553[0-5]))?")
validate_server_url.openapi_pattern = rf"^https?://[A-Za-z0-9._~-]+{_PORT}(/[^?#\s\x00]*)?$"
validate_plex_prefix.openapi_pattern = r"^(/|\\\\|[A-Za-z]:)[^\x00]*$"
validate_local_prefix.openapi_pattern = r"^/[^\x00]*$"
