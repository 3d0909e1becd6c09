"""The small family of domain errors; the API and the views turn them into 409 / 400 / 403 / 404.

Services raise only these (never ``ValueError``/``RuntimeError`` for a caller's mistake). Bad input is
collected as ``{field: [message, ...]}`` and turned into one ``ValidationFailed`` by
``ValidationFailed.from_errors`` (or ``raise_field_errors``), which names the first wrong field.
"""
from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    code = "error"

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class ValidationFailed(DomainError):
    """Bad input: names what is wrong; nothing was changed."""

    status_code = 400
    code = "invalid"

    @classmethod
    def of(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", field_errors={field: [message]})

    @classmethod
    def from_errors(cls, errors: dict[str, list[str]]) -> ValidationFailed:
        """One error for all the wrong fields; its message names the first."""
        first = next(iter(errors))
        return cls(f"{first}: {errors[first][0]}", field_errors=errors)


def raise_field_errors(errors: dict[str, list[str]]) -> None:
    """Raise ``ValidationFailed`` if any field has an error; do nothing otherwise."""
    if errors:
        raise ValidationFailed.from_errors(errors)


class NotPermitted(DomainError):
    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class TransitionNotAllowed(DomainError):
    """The transition does not start from the object's current state."""

    status_code = 409
    code = "transition_not_allowed"


class Conflict(DomainError):
    """The object changed under the caller (stale version, concurrent transition)."""

    status_code = 409
    code = "conflict"
