"""One error body across the API (drf-standardized-errors' shape), domain errors included.

``{"type": "validation_error" | "client_error" | "server_error",
   "errors": [{"code": "...", "detail": "...", "attr": "field" | null}]}``

The domain's ``DomainError`` family (``supportdesk.core.errors``) carries its own status code, code and per-field
messages; it is turned into the matching DRF exception before formatting, so a 409 from a service and a
400 from a serializer look alike to a client.
"""
from __future__ import annotations

import django_fsm
from django.core.exceptions import RequestDataTooBig
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, serializers

from supportdesk.core.errors import DomainError


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class DomainConflict(exceptions.APIException):
    status_code = 409
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def to_api_exception(exc: DomainError) -> exceptions.APIException:
    """The family's code (``invalid``, ``conflict``…) goes with the English message; ``attr`` names the field."""
    code = type(exc).code
    if exc.status_code == 400:
        detail = {field: list(messages) for field, messages in exc.field_errors.items()} or [exc.message]
        return exceptions.ValidationError(detail=detail, code=code)
    if exc.status_code == 403:
        return exceptions.PermissionDenied(detail=exc.message, code=code)
    if exc.status_code == 404:
        return exceptions.NotFound(detail=exc.message, code=code)
    if exc.status_code == 409:
        return DomainConflict(detail=exc.message, code=code)
    converted = exceptions.APIException(detail=exc.message, code=code)
    converted.status_code = exc.status_code
    return converted


class ApiExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DomainError):
            return to_api_exception(exc)
        if isinstance(exc, django_fsm.ConcurrentTransition):
            return DomainConflict(detail="The ticket changed under you; read it again and retry.", code="conflict")
        if isinstance(exc, RequestDataTooBig):
            return PayloadTooLarge()
        if isinstance(exc, django_fsm.TransitionNotAllowed):
            return DomainConflict(detail=str(exc), code="transition_not_allowed")
        return super().convert_known_exceptions(exc)


# ---- schema components for the error bodies that drf-standardized-errors does not describe by itself
class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse400Serializer(serializers.Serializer):
    """Invalid input: one item per wrong field (``attr`` names it), or a body that is not JSON."""

    type = serializers.ChoiceField(choices=["validation_error", "client_error"])
    errors = ErrorItemSerializer(many=True)


class ConflictItemSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["transition_not_allowed", "conflict"])
    detail = serializers.CharField(help_text="Names the ticket's current state or version.")
    attr = serializers.CharField(allow_null=True)


class ErrorResponse409Serializer(serializers.Serializer):
    """Not allowed from the current state, or the ticket changed under the caller."""

    type = serializers.ChoiceField(choices=["client_error"])
    errors = ConflictItemSerializer(many=True)
