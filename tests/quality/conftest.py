import pytest


@pytest.fixture(autouse=True)
def _quality_defaults(request):
    """The SPEC §6 defaults come from a data migration; a transactional test's flush removes them."""
    if not request.node.get_closest_marker("django_db") and "db" not in request.fixturenames:
        return
    request.getfixturevalue("django_db_setup")
    from quality.defaults import ensure

    ensure()
