"""One shape for API errors, and no 500 for bad input that reaches the database.

Field errors are 400; a write that collides with a unique row is 409; a body naming things
that do not exist (errors coded ``not_found``) is 404 with its field errors; a value the
database cannot store (an integer past its column, a NUL in PostgreSQL text) is 400
whichever path it took to get there, so an endpoint that forgot a bound still answers the
client, not a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

log = logging.getLogger(__name__)


def _only(code: str, detail: Any) -> bool:
    """True when every error code in a DRF error tree is ``code``."""
    if isinstance(detail, dict):
        return bool(detail) and all(_only(code, value) for value in detail.values())
    if isinstance(detail, list):
        return bool(detail) and all(_only(code, value) for value in detail)
    return getattr(detail, "code", None) == code


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus conflicts as 409 and storage-level rejections as 400."""
    if isinstance(exc, ValidationError) and _only("unique", exc.detail):
        exc.status_code = status.HTTP_409_CONFLICT
    if isinstance(exc, ValidationError) and _only("not_found", exc.detail):
        exc.status_code = status.HTTP_404_NOT_FOUND  # the body names something that is not there
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        set_rollback()
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        set_rollback()
        return Response({"detail": "This conflicts with an existing record."},
                        status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RequestDataTooBig):  # past Django's own cap: read before any parser
        return Response({"detail": f"The body is larger than {settings.API_MAX_BODY_BYTES} "
                                   "bytes."}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, (OverflowError, DataError)):
        log.warning("rejected a value the database cannot store: %s", type(exc).__name__)
        set_rollback()
        return Response({"detail": "A value is out of the range this field can store."},
                        status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


@csrf_exempt
def not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """No API route matches: say so in JSON, like every other API answer."""
    return JsonResponse({"detail": "Not found."}, status=404)
