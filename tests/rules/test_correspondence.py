"""R-VISIT-4 (docs/rules.md): all correspondence — documents received from the customer are registered and their
receipt acknowledged to the customer, with or without a visit."""
from datetime import timedelta

import pytest
from django.utils import timezone

from supportdesk.core.errors import TransitionNotAllowed, ValidationFailed
from tests import factories as f
from visits import services
from visits.models import IncomingDocument

pytestmark = pytest.mark.django_db


def test_a_document_from_the_customer_is_registered_then_acknowledged(client):
    """R-VISIT-4: a fax from the customer, outside any visit, is registered (what, from whom, when); managers see
    it until its receipt is acknowledged to the customer."""
    support = f.support_engineer()
    customer = f.CustomerFactory(tier="gold")
    doc = services.register_incoming_document(by=support, customer_id=customer.pk, kind="fax", title="割接申请函",
                                              sender="王工", received_at=timezone.now() - timedelta(hours=1))
    assert list(services.unacknowledged_incoming_documents()) == [doc]
    client.force_login(f.support_manager())
    assert "割接申请函" in client.get("/dashboard/").content.decode()
    services.acknowledge_incoming_document(document_id=doc.pk, by=support, acknowledgement="电话告知王工已收到")
    doc.refresh_from_db()
    assert doc.acknowledged_by == support and doc.acknowledgement == "电话告知王工已收到"
    assert list(services.unacknowledged_incoming_documents()) == []
    with pytest.raises(TransitionNotAllowed):
        services.acknowledge_incoming_document(document_id=doc.pk, by=support, acknowledgement="again")


def test_registering_names_every_bad_field_and_stores_nothing():
    """R-VISIT-4: bad input is refused per field; an acknowledgement needs to say how the customer was told."""
    support = f.support_engineer()
    with pytest.raises(ValidationFailed) as caught:
        services.register_incoming_document(by=support, customer_id=0, kind="scroll", title="", sender="",
                                            received_at=timezone.now() + timedelta(days=1))
    assert {"customer", "kind", "title", "sender", "received_at"} <= set(caught.value.field_errors)
    assert not IncomingDocument.objects.exists()
    doc = services.register_incoming_document(by=support, customer_id=f.CustomerFactory().pk, kind="email",
                                              title="需求", sender="李工", received_at=timezone.now())
    with pytest.raises(ValidationFailed):
        services.acknowledge_incoming_document(document_id=doc.pk, by=support, acknowledgement=" ")
