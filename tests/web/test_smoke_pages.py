import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_render(login, operator, manager, transport_engineer, gold_ticket):
    c = login(operator)
    for url in ("tickets:console", "tickets:broadcasts"):
        assert c.get(reverse(url)).status_code == 200
    assert c.get(reverse("tickets:detail", args=[gold_ticket.pk])).status_code == 200
    c = login(manager)
    assert c.get(reverse("tickets:dashboard")).status_code == 200
    c = login(transport_engineer)
    assert c.get(reverse("tickets:mine")).status_code == 200
    assert c.get(reverse("tickets:detail", args=[gold_ticket.pk])).status_code == 200
