"""The quality pages and panels speak English from the language cookie (Chinese is the source language)."""
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings

from quality.services import evaluate, ingest_samples
from tests import factories as f
from tests.test_i18n import _program_chinese

from .helpers import samples

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_quality_pages_in_english(client):
    from staff.models import User

    circuit = f.CircuitFactory(customer__tier="normal")
    ingest_samples(samples=samples(circuit.circuit_id, "latency_ms", datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
                                   [70.0] * 3))
    evaluate()
    client.force_login(User.objects.create_superuser("i18nq", password="x"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in ("/quality/", "/quality/stats/", f"/quality/circuits/{circuit.circuit_id}/", "/console/"):
        html = client.get(url).content.decode()
        assert _program_chinese(html) == [], (url, _program_chinese(html)[:10])
