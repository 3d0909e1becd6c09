"""Admin for every model: each list, search and filter page opens for the administrator."""
import pytest
from django.contrib import admin
from django.urls import reverse

from tests import factories as f
from tests.builders import alarm_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(f.UserFactory(is_staff=True, is_superuser=True),
                       backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def some_data():
    return alarm_ticket(tier="gold", minutes_ago=0)


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_list_opens(admin_client, some_data, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "FT"}).status_code == 200


def test_ticket_admin_is_read_only_and_filters_by_state_tier_and_room(admin_client, some_data):
    url = reverse("admin:tickets_faultticket_changelist")
    page = admin_client.get(url, {"state__exact": "dispatched", "tier__exact": "gold",
                                  "lead_room__id__exact": some_data.lead_room_id})
    assert some_data.number in page.content.decode()
    assert admin_client.get(reverse("admin:tickets_faultticket_add")).status_code == 403
    detail = admin_client.get(reverse("admin:tickets_faultticket_change", args=[some_data.pk]))
    assert detail.status_code == 200 and 'name="state"' not in detail.content.decode()


def test_event_log_cannot_be_changed_in_the_admin(admin_client, some_data):
    event = some_data.events.first()
    assert admin_client.get(reverse("admin:tickets_ticketevent_add")).status_code == 403
    response = admin_client.post(reverse("admin:tickets_ticketevent_change", args=[event.pk]), {"note": "edited"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.note != "edited"


def test_customer_updates_and_help_requests_are_listed_read_only_with_filters(admin_client, some_data):
    """R-CUST-UPDATE and R-HELP in the admin: lists with filters, nothing added or changed there."""
    from staff import help as help_service
    from tickets.models import CustomerUpdate

    CustomerUpdate.objects.create(ticket=some_data, by=f.support_engineer(), contact="李工", channel="phone",
                                  text="光缆抢修中，预计 30 分钟恢复")
    engineer = f.room_engineer("transport")
    help_service.ask_for_help(by=engineer, asked_of="centre_leader", subject_kind="ticket", subject_id=some_data.pk,
                              subject_label=some_data.number, question="需要协调电力室夜间进站")
    updates = reverse("admin:tickets_customerupdate_changelist")
    page = admin_client.get(updates, {"channel__exact": "phone", "ticket__tier__exact": "gold"})
    assert page.status_code == 200 and "李工" in page.content.decode()
    assert admin_client.get(reverse("admin:tickets_customerupdate_add")).status_code == 403
    requests = reverse("admin:staff_helprequest_changelist")
    page = admin_client.get(requests, {"asked_of__exact": "centre_leader", "answered_at__isnull": "True"})
    assert page.status_code == 200 and some_data.number in page.content.decode()
    assert admin_client.get(requests, {"answered_at__isnull": "False"}).content.decode().count(some_data.number) == 0
    assert admin_client.get(reverse("admin:staff_helprequest_add")).status_code == 403
