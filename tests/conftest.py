import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--wall-clock", default=None, metavar="ISO",
        help="Run the whole session as if the wall clock read ISO (e.g. 2026-12-05T00:30+08:00), ticking from "
             "there: proves that no test depends on the hour or the day it runs at.",
    )


def pytest_configure(config):
    wall_clock = config.getoption("--wall-clock", default=None)
    if wall_clock:
        import time_machine

        config._wall_clock = time_machine.travel(wall_clock, tick=True)
        config._wall_clock.start()


def pytest_unconfigure(config):
    traveller = getattr(config, "_wall_clock", None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    wall_clock = config.getoption("--wall-clock", default=None)
    return f"wall clock travelled to {wall_clock}" if wall_clock else None


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's event loop in the main thread must not meet async views."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters (the cache) start empty in every test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "staff.notify.backends.LoggingSMSBackend"


@pytest.fixture(autouse=True)
def _no_broker_publish(monkeypatch, request):
    """Unit tests leave deliveries as pending rows; the tests marked ``worker`` use the real broker."""
    if request.node.get_closest_marker("worker"):
        return
    monkeypatch.setattr("staff.notify.api.enqueue", lambda ids: 0)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Rooms and tier policies come from a data migration; a transactional test's flush removes them."""
    if not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("django_db_setup")
    from staff.models import Room

    if Room.objects.count() >= 7:
        return
    from tickets.migrations import _reference

    _reference.ensure()


# A weekday afternoon in Asia/Shanghai, far from midnight and from a week's start: "today" and "this week"
# hold whatever the hour the suite runs at.
FROZEN_AT = "2026-11-25 14:00:00+08:00"


@pytest.fixture
def frozen_clock():
    """Freeze the clock (``time_machine``) for a test whose meaning depends on the time of day."""
    import time_machine

    with time_machine.travel(FROZEN_AT, tick=False) as traveller:
        yield traveller
