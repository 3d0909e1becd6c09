"""Issuing API client tokens (CONTRACT.md ``issue_noc_token``; ``seed_demo``'s NOC token)."""
from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings
from django.db import transaction

from supportdesk.core.errors import Conflict, ValidationFailed

from .models import ApiClient, ApiScope, User, default_api_scopes

DEMO_CLIENT_NAME = "noc-demo"


def _clean_scopes(scopes) -> list[str]:
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown:
        raise ValidationFailed.of("scopes", f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(ApiScope.values)}")
    return [s for s in ApiScope.values if s in set(scopes)]


@transaction.atomic
def issue_client(
    *, name: str, scopes=None, acting_user: User | None = None, rotate: bool = False
) -> tuple[ApiClient, str]:
    """Create the client NAME (or, with ``rotate``, give the existing one a new key); returns (client, token).

    The token is returned once and never stored: only its hash is.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.of("name", "the client needs a name")
    wanted = _clean_scopes(default_api_scopes() + list(scopes or []))
    client = ApiClient.objects.select_for_update().filter(name=name).first()
    if client is not None and not rotate:
        raise Conflict(f"API client {name!r} already exists (rotate its key to get a new token)")
    if client is None:
        client = ApiClient(name=name)
    client.scopes = sorted(set(client.scopes or []) | set(wanted), key=ApiScope.values.index)
    client.active = True
    if acting_user is not None:
        client.acting_user = acting_user
    token = client.set_new_key()
    client.save()
    return client, token


def demo_token() -> str:
    """The demo client's token: derived from SECRET_KEY, so it is stable across runs and unguessable without it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"supportdesk demo NOC token", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@transaction.atomic
def ensure_demo_client() -> str:
    """The demo NOC client (idempotent: the same token every run for one SECRET_KEY)."""
    token = demo_token()
    client = ApiClient.objects.select_for_update().filter(name=DEMO_CLIENT_NAME).first()
    if client is None:
        client, _ = issue_client(name=DEMO_CLIENT_NAME)
    if client.key_hash != ApiClient.hash_key(token) or not client.active:
        client.set_key(token)
        client.active = True
        client.save()
    return f"NOC token ({client.name}, {', '.join(client.scopes)}): {token}"
