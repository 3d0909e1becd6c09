import pytest


@pytest.fixture(autouse=True)
def _english_free_settings(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "staff.notify.backends.LoggingSMSBackend"


@pytest.fixture(autouse=True)
def _no_broker_publish(monkeypatch, request):
    """Unit tests don't need a broker: deliveries stay pending rows (the worker tests use the real one)."""
    if request.node.get_closest_marker("worker"):
        return
    monkeypatch.setattr("staff.notify.api.enqueue", lambda ids: 0)
