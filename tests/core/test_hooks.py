"""The registries of supportdesk/core/hooks.py, seen from where they are used: the deadline sweep, the
manager's dashboard, the monitoring console and /health/."""
from __future__ import annotations

import copy

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from supportdesk.core import hooks
from tests import factories as f
from tickets.models import SweepRun
from tickets.services.escalation import sweep


@pytest.fixture
def registries(monkeypatch):
    """Each test registers into copies; the apps' own registrations come back afterwards."""
    for name in ("_sweep_steps", "_dashboard_panels", "_console_panels", "_health_warnings"):
        monkeypatch.setattr(hooks, name, dict(getattr(hooks, name)))
    monkeypatch.setattr(hooks, "_sweep_steps", {})  # the apps' own steps would add their counts to the summary
    return hooks


@pytest.mark.django_db
def test_the_sweep_runs_each_step_isolated_and_records_the_counts(registries, caplog):
    calls = []

    def counting(*, now):
        calls.append(now)
        return {"sent": 2}

    def broken(*, now):
        raise RuntimeError("boom")

    registries.register_sweep_step("demo.broken", broken)
    registries.register_sweep_step("demo.counting", counting)
    summary = sweep(origin="test")
    assert len(calls) == 1
    assert summary.steps == {"demo.broken": {"failed": 1}, "demo.counting": {"sent": 2}}
    assert "demo.counting.sent=2" in summary.line() and "demo.broken.failed=1" in summary.line()
    assert SweepRun.objects.get(origin="test").steps == {"demo.broken": {"failed": 1}, "demo.counting": {"sent": 2}}
    assert "sweep step demo.broken failed" in caplog.text


@pytest.mark.django_db
def test_the_sweep_command_prints_the_step_counts(registries, capsys):
    registries.register_sweep_step("demo.counting", lambda *, now: {"sent": 3})
    call_command("sweep_deadlines")
    assert "demo.counting.sent=3" in capsys.readouterr().out


@pytest.mark.django_db
def test_without_steps_the_summary_line_is_unchanged(registries):
    registries._sweep_steps.clear()
    line = sweep(origin="test").line()
    assert line == "due=0 joint_started=0 arrival_breaches=0 broadcasts=0 missed_slots=0 deliveries_requeued=0 " \
                   "skipped_locked=0"


@pytest.mark.django_db
def test_registered_panels_show_on_the_dashboard_and_the_console(registries, client, settings, tmp_path):
    (tmp_path / "demo_panel.html").write_text('<section id="demo-{{ where }}">{{ request.user.username }}</section>')
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates
    registries.register_dashboard_panel("demo", template="demo_panel.html", context=lambda r: {"where": "dash"})
    registries.register_console_panel("demo", template="demo_panel.html", context=lambda r: {"where": "console"})
    client.force_login(f.support_manager(username="mgr"))
    assert '<section id="demo-dash">mgr</section>' in client.get(reverse("tickets:dashboard")).content.decode()
    client.force_login(f.monitoring_operator(username="op"))
    assert '<section id="demo-console">op</section>' in client.get(reverse("tickets:console")).content.decode()


def test_panels_come_in_order_then_key(registries):
    registries._dashboard_panels.clear()
    registries.register_dashboard_panel("b", template="x.html", context=dict, order=50)
    registries.register_dashboard_panel("a", template="x.html", context=dict, order=100)
    registries.register_dashboard_panel("c", template="x.html", context=dict, order=50)
    registries.register_dashboard_panel("c", template="y.html", context=dict, order=50)  # again: replaces
    assert [(p.key, p.template) for p in registries.dashboard_panels()] == [("b", "x.html"), ("c", "y.html"),
                                                                            ("a", "x.html")]


def test_visits_registers_its_dashboard_panel():
    assert "visits" in [p.key for p in hooks.dashboard_panels()]


@pytest.mark.django_db(transaction=True)  # /health/ runs its checks on their own connections
def test_health_lists_warnings_without_failing(registries, client):
    sweep()
    registries.register_health_warning("demo.quiet", lambda: None)
    registries.register_health_warning("demo.loud", lambda: "3 complaints overdue")
    registries.register_health_warning("demo.broken", lambda: 1 / 0)
    response = client.get("/health/?format=json", HTTP_X_HEALTH_TOKEN=settings.HEALTH_TOKEN)
    body = response.json()
    assert response.status_code == 200, body
    assert body["warning:demo.loud"] == "3 complaints overdue"
    assert body["warning:demo.broken"] == "demo.broken: check failed"
    assert "warning:demo.quiet" not in body
    text = client.get("/health/?format=text", HTTP_X_HEALTH_TOKEN=settings.HEALTH_TOKEN).content.decode()
    assert "warning:demo.loud: 3 complaints overdue" in text


@pytest.mark.django_db
def test_the_dashboard_shows_the_warnings(registries, client):
    registries.register_health_warning("demo.loud", lambda: "3 complaints overdue")
    client.force_login(f.support_manager(username="mgr"))
    html = client.get(reverse("tickets:dashboard")).content.decode()
    assert 'data-warning="demo.loud">3 complaints overdue' in html
