"""API authentication: scoped client tokens (``Authorization: Token <key>`` or ``Bearer <key>``).

Staff keep Django's session (with CSRF) through DRF's ``SessionAuthentication``, listed after this class.
Because this class comes first and answers ``authenticate_header``, a call without credentials is a 401.

The token model is ``settings.API_CLIENT_MODEL`` (``staff.ApiClient``), looked up by name: the core names
no app. It offers ``for_key(key)``, ``touch()``, ``has_scope(scope)``, ``acting_user``, ``name``.
"""
from __future__ import annotations

from django.apps import apps
from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

KEYWORDS = (b"token", b"bearer")


class ClientPrincipal:
    """``request.user`` for a client that acts as nobody in particular: authenticated, holds no permission."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None
    vendor_id = None

    def __init__(self, client):
        self.client = client
        self.username = f"api:{client.name}"

    def __str__(self):
        return self.username

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_perms(self, perms, obj=None) -> bool:
        return False


class ApiTokenAuthentication(BaseAuthentication):
    """An active API client (``settings.API_CLIENT_MODEL``) by its token; ``request.auth`` is the client."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        from .throttles import BadTokenThrottle

        guard = BadTokenThrottle()
        wait = guard.blocked(request)
        if wait is not None:  # too many bad tokens from this address: not even looked up
            raise exceptions.Throttled(wait=wait)
        if len(parts) != 2:
            guard.note_failure(request)
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Token <key>'.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            guard.note_failure(request)
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        client = api_client_model().for_key(key)
        if client is None:
            guard.note_failure(request)
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        client.touch()
        # An inactive acting user stays the principal: the services then refuse its actions.
        return (client.acting_user if client.acting_user_id else ClientPrincipal(client), client)

    def authenticate_header(self, request):
        return 'Token realm="api"'


API_AUTHENTICATION = [ApiTokenAuthentication, SessionAuthentication]


def api_client_model():
    return apps.get_model(settings.API_CLIENT_MODEL)


def api_client(request):
    """The API client making this request, or None for a person."""
    return request.auth if isinstance(request.auth, api_client_model()) else None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "supportdesk.core.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An API client token (`python manage.py issue_noc_token NAME`), sent as "
                           "`Authorization: Token <key>` (or `Bearer <key>`).",
        }
