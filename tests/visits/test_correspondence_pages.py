"""R-VISIT-4 on the pages (docs/rules.md §4): all correspondence with the customer — documents received from the
customer are registered and acknowledged, documents for the customer outside a visit follow the template → review →
send → customer told flow — reached from the customer, a visit and a ticket."""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories as f
from tests.builders import alarm_ticket
from visits import services
from visits.models import DocumentTemplate, IncomingDocument, VisitDocument

from .helpers import plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def eng():
    return f.support_engineer()


@pytest.fixture
def web(client, eng):
    client.force_login(eng)
    return client


def _when(hours_ago=1):
    return (timezone.localtime() - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")


def test_a_document_received_is_registered_and_acknowledged_on_the_customers_page(web, eng):
    """R-VISIT-4: the customer's correspondence page registers a document received (what, from whom, when) and
    records how the customer was told it was received; the list shows both."""
    customer = f.CustomerFactory(tier="gold")
    url = f"/visits/customers/{customer.pk}/correspondence/"
    assert web.get(url).status_code == 200
    response = web.post(f"{url}received/", {"kind": "fax", "title": "割接申请函", "sender": "王工",
                                             "received_at": _when()})
    assert response.status_code == 302 and response.url == url
    doc = IncomingDocument.objects.get(customer=customer)
    assert (doc.title, doc.sender, doc.registered_by) == ("割接申请函", "王工", eng)
    page = web.get(url).content.decode()
    assert "割接申请函" in page and "未告知客户收到" in page
    response = web.post(f"/visits/received/{doc.pk}/acknowledge/", {"acknowledgement": "电话告知王工已收到"})
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.acknowledged_by == eng and doc.acknowledgement == "电话告知王工已收到"
    assert "电话告知王工已收到" in web.get(url).content.decode()
    again = web.post(f"/visits/received/{doc.pk}/acknowledge/", {"acknowledgement": "再次"})
    assert again.status_code == 409


def test_bad_input_re_renders_the_page_with_the_input_kept_and_nothing_stored(web):
    """R-VISIT-4: a registration without a sender, or an acknowledgement without words, is refused (400), naming
    the field, the input kept; nothing changes."""
    customer = f.CustomerFactory()
    url = f"/visits/customers/{customer.pk}/correspondence/"
    response = web.post(f"{url}received/", {"kind": "letter", "title": "投诉函", "sender": "", "received_at": _when()})
    assert response.status_code == 400
    html = response.content.decode()
    assert "投诉函" in html and "客户发件人" in html
    assert not IncomingDocument.objects.exists()
    doc = services.register_incoming_document(by=f.support_engineer(), customer_id=customer.pk, kind="fax",
                                              title="传真", sender="王工", received_at=timezone.now())
    assert web.post(f"/visits/received/{doc.pk}/acknowledge/", {"acknowledgement": " "}).status_code == 400
    doc.refresh_from_db()
    assert doc.acknowledged_at is None


def test_a_fault_explanation_letter_from_a_ticket_is_reviewed_sent_and_its_receipt_recorded(client, eng):
    """R-VISIT-4 outside a visit: from a ticket's page, a letter for the customer on the standard template goes to
    one reviewer (never its author), is sent once approved with the customer told, and its receipt recorded."""
    ticket = alarm_ticket(tier="gold", minutes_ago=30)
    reviewer = f.support_manager()
    client.force_login(eng)
    ticket_page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    url = f"/visits/customers/{ticket.customer_id}/correspondence/"
    assert f"{url}?ticket={ticket.pk}" in ticket_page
    template = DocumentTemplate.objects.filter(kind="letter").first() or DocumentTemplate.objects.first()
    response = client.post(f"{url}document/?ticket={ticket.pk}", {
        "kind": template.kind, "title": "故障说明函", "template": template.pk, "reviewers": [reviewer.pk],
        "ticket": ticket.pk,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    doc = VisitDocument.objects.get(title="故障说明函")
    assert (doc.visit_id, doc.customer_id, doc.ticket_id) == (None, ticket.customer_id, ticket.pk)
    send = client.post(f"/visits/documents/{doc.pk}/send/", {"notice": "邮件发送李工"})
    assert send.status_code == 400  # R-VISIT-4: not before its review
    doc.refresh_from_db()
    assert doc.state == "in_review"
    client.force_login(reviewer)
    assert client.post(f"/visits/documents/{doc.pk}/review/", {"approve": "1"}).status_code == 302
    client.force_login(eng)
    assert client.post(f"/visits/documents/{doc.pk}/send/", {"notice": "邮件发送李工"}).status_code == 302
    assert client.post(f"/visits/documents/{doc.pk}/received/", {"notice": "李工回电确认"}).status_code == 302
    doc.refresh_from_db()
    assert (doc.state, doc.sent_notice, doc.received_notice) == ("received", "邮件发送李工", "李工回电确认")
    assert "故障说明函" in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_a_document_outside_a_visit_needs_one_or_two_reviewers_not_the_author(web, eng):
    """R-VISIT-4: the same review rule as a visit's document, refused on the page with nothing stored."""
    customer = f.CustomerFactory()
    template = DocumentTemplate.objects.first()
    url = f"/visits/customers/{customer.pk}/correspondence/document/"
    response = web.post(url, {"kind": template.kind, "title": "报告", "template": template.pk, "reviewers": [eng.pk]})
    assert response.status_code == 400
    assert not VisitDocument.objects.exists()


def test_a_visit_page_links_to_the_customers_correspondence_with_the_visit_kept(web, eng):
    """R-VISIT-4: from a visit, a document received is registered on the customer's page, linked to the visit."""
    visit = plan(by=eng)
    html = web.get(f"/visits/{visit.pk}/").content.decode()
    url = f"/visits/customers/{visit.customer_id}/correspondence/"
    assert f"{url}?visit={visit.pk}" in html
    page = web.get(f"{url}?visit={visit.pk}").content.decode()
    assert f'value="{visit.pk}"' in page
    response = web.post(f"{url}received/", {"kind": "email", "title": "需求清单", "sender": "张工",
                                             "received_at": _when(), "visit": visit.pk})
    assert response.status_code == 302 and response.url == f"{url}?visit={visit.pk}"
    assert IncomingDocument.objects.get().visit == visit


def test_people_without_the_visits_permission_cannot_register(client):
    """The pages keep the visits permissions: a vendor engineer is refused, nothing stored."""
    customer = f.CustomerFactory()
    client.force_login(f.vendor_engineer())
    url = f"/visits/customers/{customer.pk}/correspondence/"
    assert client.get(url).status_code == 403
    assert client.post(f"{url}received/", {"kind": "fax", "title": "x", "sender": "y",
                                           "received_at": _when()}).status_code == 403
    assert not IncomingDocument.objects.exists()


def test_a_document_outside_a_visit_names_a_ticket_of_its_own_customer():
    """R-VISIT-4: a document linked to a ticket must be about that ticket's customer; refused naming the field."""
    from supportdesk.core.errors import ValidationFailed

    ticket = alarm_ticket(tier="gold", minutes_ago=30)
    other = f.CustomerFactory()
    template = DocumentTemplate.objects.first()
    with pytest.raises(ValidationFailed) as caught:
        services.create_document(customer_id=other.pk, ticket_id=ticket.pk, by=f.support_engineer(),
                                 kind=template.kind, title="报告", template_id=template.pk,
                                 reviewer_ids=[f.support_manager().pk])
    assert "ticket" in caught.value.field_errors
    with pytest.raises(ValidationFailed) as caught:
        services.create_document(by=f.support_engineer(), kind=template.kind, title="报告", template_id=template.pk,
                                 reviewer_ids=[f.support_manager().pk])
    assert "customer" in caught.value.field_errors
    assert not VisitDocument.objects.exists()


def test_the_correspondence_page_speaks_english(web):
    """R-VISIT-4: the page's own words are translated (the customer's and the templates' names are data)."""
    from django.conf import settings

    from tests.test_i18n import _program_chinese

    customer = f.CustomerFactory()
    services.register_incoming_document(by=f.support_engineer(), customer_id=customer.pk, kind="fax",
                                        title="fax-1", sender="Wang", received_at=timezone.now())
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = web.get(f"/visits/customers/{customer.pk}/correspondence/").content.decode()
    assert "Correspondence" in html and "Receipt not acknowledged" in html
    for name in DocumentTemplate.objects.values_list("name", flat=True):
        html = html.replace(name, "")
    assert _program_chinese(html) == []
