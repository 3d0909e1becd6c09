"""Who may call which endpoint.

- An API client (a NOC system) is held to its token's scopes: ``alarms:write`` posts and clears alarms,
  ``tickets:read`` reads tickets, ``tickets:transition`` runs transitions and adds progress notes,
  ``phone:write`` records phone notifications (a voice/SMS gateway). Some actions are a person's alone
  (an on-site check-in, drafting or approving the explanation to the customer): a client never takes them.
- A person reads with the ``tickets.view_faultticket`` permission; for writes the services' ``ensure_can``
  (``tickets.permissions``) decides, so the rule lives in one place.
"""
from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from staff.models import ApiScope

from .authentication import api_client

PERSON_ONLY = None


class ApiAccess(BasePermission):
    """Views declare ``scopes = {"GET": ApiScope..., "POST": ApiScope... | PERSON_ONLY}``."""

    message = "You do not have permission to perform this action."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False  # DRF answers 401: the request carried no (valid) credentials
        if not hasattr(view, request.method.lower()):
            return True  # DRF answers 405 for a method the endpoint does not have
        client = api_client(request)
        if client is not None:
            method = "GET" if request.method == "HEAD" else request.method
            scope = getattr(view, "scopes", {}).get(method, PERSON_ONLY)
            if scope is PERSON_ONLY:
                self.message = "This action is taken by a person, not by an API client."
                return False
            if not client.has_scope(scope):
                self.message = f"This API client lacks the scope '{scope}'."
                return False
            return True
        if request.method in SAFE_METHODS:
            if not user.has_perm("tickets.view_faultticket"):
                self.message = "You may not view tickets."
                return False
            return True
        people = getattr(view, "people_permission", None)
        if people and not user.has_perm(people):
            self.message = "You may not perform this action."
            return False
        return True


__all__ = ["ApiAccess", "ApiScope", "PERSON_ONLY"]
