"""The small family of domain errors; the API and the views turn them into 409 / 400 / 403 / 404."""


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
    def of(cls, field: str, message: str) -> "ValidationFailed":
        return cls(f"{field}: {message}", field_errors={field: [message]})


class NotPermitted(DomainError):
    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class TransitionNotAllowed(DomainError):
    """The transition does not start from the ticket's current state."""

    status_code = 409
    code = "transition_not_allowed"


class Conflict(DomainError):
    """The ticket changed under the caller (stale version, concurrent transition)."""

    status_code = 409
    code = "conflict"
