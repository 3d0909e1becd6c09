"""`seed_demo` (CONTRACT.md): idempotent demo data — rooms, users of every role, customers of every tier."""
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from customers.models import Circuit, Customer
from staff.choices import Role
from staff.models import Room, User
from tickets.models import Alarm, FaultTicket

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Room, User, Customer, Circuit, FaultTicket, Alarm, Group)]


def test_seed_demo_twice_changes_nothing(capsys):
    call_command("seed_demo", not_production=True)
    first = counts()
    call_command("seed_demo", not_production=True)
    assert counts() == first
    assert "demo-pass-2026" in capsys.readouterr().out


def test_seed_demo_has_every_role_and_tier():
    call_command("seed_demo", not_production=True)
    for role in Role.values:
        assert User.objects.filter(groups__name=role).exists(), role
    assert set(Customer.objects.values_list("tier", flat=True)) == {"diamond", "gold", "normal"}
    assert User.objects.get(username="monitor1").check_password("demo-pass-2026")
    assert FaultTicket.objects.filter(needs_triage=True).exists()
