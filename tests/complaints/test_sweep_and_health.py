"""R-CMP-LIMITS / R-CMP-WORKDAY through the project's hooks: the one deadline sweep, /health/ and the dashboard."""
import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from complaints.models import ComplaintBreach
from tests import factories as f

from .conftest import at, receive

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_one_deadline_sweep_records_complaint_breaches(capsys):
    """R-CMP-LIMITS: `manage.py sweep_deadlines` (the beat's code) runs the complaint step; a breach once."""
    receive(f.CustomerFactory(tier="gold"), received_at=at(2026, 11, 24, 8, 0))
    with time_machine.travel(at(2026, 11, 24, 10, 30), tick=False):
        call_command("sweep_deadlines")
        call_command("sweep_deadlines")
    assert ComplaintBreach.objects.count() == 1
    assert "complaints.breaches=1" in capsys.readouterr().out


def test_health_and_dashboard_warn_when_the_next_60_days_are_not_covered():
    """R-CMP-WORKDAY: on 2026-11-30 the next 60 days reach 2027, whose schedule is not loaded: a warning (not a
    failure) on /health/ and the dashboard; in June nothing is said."""
    manager = browser(f.support_manager())
    with time_machine.travel(at(2026, 11, 30, 10, 0), tick=False):
        call_command("sweep_deadlines")
        health = Client().get("/health/?format=json", headers={"X-Health-Token": settings.HEALTH_TOKEN})
        assert "warning:complaints.calendar" in health.json() and "2027" in health.json()["warning:complaints.calendar"]
        html = manager.get("/dashboard/").content.decode()
        assert "2027-01-01" in html and 'id="complaint-on-time"' in html
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        call_command("sweep_deadlines")
        health = Client().get("/health/?format=json", headers={"X-Health-Token": settings.HEALTH_TOKEN})
        assert "warning:complaints.calendar" not in health.json()
