import importlib

import pytest


@pytest.fixture(autouse=True)
def _visits_reference_data(request):
    """Policies, the checklist and the document templates come from a data migration; a transactional
    test elsewhere in the run flushes them."""
    if not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("django_db_setup")
    from visits.models import DocumentTemplate, VisitPolicy

    if VisitPolicy.objects.count() >= 3 and DocumentTemplate.objects.exists():
        return
    importlib.import_module("visits.migrations.0002_policy_defaults").ensure()
