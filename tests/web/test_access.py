"""Who may open which page; the log-in, log-out and locked-out pages."""
import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["tickets:home", "tickets:console", "tickets:dashboard", "tickets:mine",
                                 "tickets:broadcasts"])
def test_anonymous_people_are_sent_to_log_in(client, url):
    response = client.get(reverse(url))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_polled_partial_sends_an_anonymous_browser_to_log_in_as_a_whole(client):
    response = client.get(reverse("tickets:console-queue"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")


@pytest.mark.parametrize("make, target", [
    (f.monitoring_operator, "/console/"),
    (f.support_manager, "/dashboard/"),
    (f.centre_leader, "/dashboard/"),
    (lambda: f.room_engineer("transport"), "/m/"),
    (f.support_engineer, "/visits/"),
    (f.vendor_engineer, "/m/"),
])
def test_home_sends_each_person_to_their_page(client, make, target):
    client.force_login(make())
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == target


def test_a_user_without_a_role_gets_a_clear_refusal(client):
    client.force_login(f.UserFactory())
    response = client.get("/")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


@pytest.mark.parametrize("make, url, status", [
    (f.monitoring_operator, "tickets:console", 200),
    (f.monitoring_operator, "tickets:console-queue", 200),
    (f.support_engineer, "tickets:console", 403),
    (f.support_manager, "tickets:console", 403),
    (f.support_manager, "tickets:dashboard", 200),
    (f.centre_leader, "tickets:dashboard", 200),
    (f.support_engineer, "tickets:dashboard", 403),
    (lambda: f.room_engineer("transport"), "tickets:dashboard", 403),
    (lambda: f.room_engineer("transport"), "tickets:mine", 200),
    (f.vendor_engineer, "tickets:mine", 200),
    (f.monitoring_operator, "tickets:mine", 403),
    (f.centre_leader, "tickets:mine", 403),
    (f.monitoring_operator, "tickets:broadcasts", 200),
    (f.vendor_engineer, "tickets:broadcasts", 200),
])
def test_role_based_access(client, make, url, status):
    client.force_login(make())
    assert client.get(reverse(url)).status_code == status


def test_ticket_page_needs_a_ticket_reader(client, gold_ticket):
    client.force_login(f.UserFactory())
    assert client.get(reverse("tickets:detail", args=[gold_ticket.pk])).status_code == 403


def test_missing_ticket_is_404(client, operator):
    client.force_login(operator)
    assert client.get(reverse("tickets:detail", args=[999999])).status_code == 404


def test_log_in_page_and_log_in(client):
    f.monitoring_operator(username="op1")
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "op1", "password": "pass-1234-word"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/")["Location"] == "/console/"


def test_log_in_sets_the_preferred_language(client):
    f.monitoring_operator(username="op-en", preferred_language="en")
    response = client.post(reverse("login"), {"username": "op-en", "password": "pass-1234-word"})
    assert response.cookies["django_language"].value == "en"


def test_log_out_ends_the_session(client, operator):
    client.force_login(operator)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("tickets:console")).status_code == 302


def test_too_many_failed_log_ins_show_the_locked_out_page(client, settings):
    f.monitoring_operator(username="op2")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "op2", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "op2", "password": "pass-1234-word"})
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_language_switch_renders_english_chrome(client, operator):
    client.force_login(operator)
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/"})
    response = client.get(reverse("tickets:console"))
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
