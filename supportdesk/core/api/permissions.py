"""Who may call which endpoint (every API view uses ``ApiAccess``).

- An API client (a NOC system) is held to its token's scopes (``staff.models.ApiScope``): the view declares
  ``scopes = {"GET": "tickets:read", "POST": "tickets:transition" | PERSON_ONLY}``. Some actions are a person's
  alone (an on-site check-in, drafting or approving the explanation to the customer): a client never takes them.
- A person reads with the view's ``read_permission`` (e.g. ``tickets.view_faultticket``); for writes the
  view's ``people_permission`` is a first gate and the services decide, so the rule lives in one place.
"""
from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .authentication import api_client

PERSON_ONLY = None


class ApiAccess(BasePermission):
    """Views declare ``scopes``, ``read_permission`` and optionally ``people_permission``."""

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
            read = getattr(view, "read_permission", None)
            if read and not user.has_perm(read):
                self.message = getattr(view, "read_refused", "You may not view this.")
                return False
            return True
        people = getattr(view, "people_permission", None)
        if people and not user.has_perm(people):
            self.message = "You may not perform this action."
            return False
        return True


__all__ = ["ApiAccess", "PERSON_ONLY"]
