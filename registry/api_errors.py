"""One exception handler for the API: business refusals become 400/403/409 with field errors."""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from registry.services import RegistryError


def exception_handler(exc, context):
    if isinstance(exc, RegistryError):
        body = {"detail": exc.message, **exc.errors}
        return Response(body, status=exc.status_code)
    response = drf_exception_handler(exc, context)
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        response.data = {"detail": "The request has errors; nothing was saved.", **response.data}
    if response is not None and response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        response.data = {"detail": str(exc.detail)}
    return response
