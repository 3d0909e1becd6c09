"""The domain errors the complaint services raise (the shared family; API and views map them)."""
from supportdesk.core.errors import Conflict, DomainError, NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed

__all__ = ["Conflict", "DomainError", "NotFound", "NotPermitted", "TransitionNotAllowed", "ValidationFailed"]
