"""The complaint pages in English: no Chinese from the program (data people typed stays as typed)."""
import pytest
import time_machine
from django.conf import settings
from django.test import Client

from complaints.services import transitions as t
from tests import factories as f
from tests.test_i18n import _program_chinese

from .conftest import at, receive

pytestmark = pytest.mark.django_db


@time_machine.travel(at(2026, 11, 24, 10, 30), tick=False)
def test_complaint_pages_speak_english():
    c = receive(f.CustomerFactory(tier="gold"), description="slow line")
    t.sort(complaint_id=c.pk, by=None, route_to="transport")
    client = Client()
    client.force_login(f.support_manager(), backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in ("/complaints/", f"/complaints/{c.pk}/", "/complaints/new/", "/complaints/dashboard/"):
        html = client.get(url).content.decode()
        assert _program_chinese(html) == [], (url, _program_chinese(html)[:10])
    assert "working days left" in client.get("/complaints/").content.decode()
