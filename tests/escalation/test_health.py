"""Watching the watcher: /health/ reports database, broker and the freshness of the last sweep."""
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from tickets.selectors import sweep_is_stale
from tickets.services.escalation import sweep

pytestmark = pytest.mark.django_db(transaction=True)  # the checks run on their own connections


def _checks(client):
    response = client.get("/health/?format=json", HTTP_X_HEALTH_TOKEN=settings.HEALTH_TOKEN)
    return response.status_code, response.json()


def test_health_fails_before_any_sweep(client):
    status, body = _checks(client)
    assert status == 500
    assert any("SweepFreshness" in name for name, value in body.items() if value != "OK"), body


def test_health_is_ok_after_a_fresh_sweep(client):
    sweep()
    status, body = _checks(client)
    assert status == 200, body
    # warnings ("warning:<name>", e.g. a working calendar that does not cover the next 60 days) never fail health
    assert all(value == "OK" for name, value in body.items() if not name.startswith("warning:"))
    assert any("Database" in name for name in body) and any("Broker" in name for name in body)


def test_health_fails_when_the_last_sweep_is_older_than_five_minutes(client):
    """A lost beat is noticed: 5 min 01 s after the last sweep the check fails."""
    sweep()
    assert not sweep_is_stale()
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        status, body = _checks(client)
        assert status == 500
        assert sweep_is_stale()
    with time_machine.travel(timezone.now() + timedelta(minutes=4, seconds=50)):
        assert not sweep_is_stale()
