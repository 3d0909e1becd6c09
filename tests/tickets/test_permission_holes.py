"""Who may act on a ticket: the holes a vendor, another room or a bystander could use."""
import pytest

from supportdesk.core.errors import NotPermitted
from tests import factories as f
from tests.builders import crew, snapshot, ticket_in
from tickets import services
from tickets.choices import TicketState as S

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor_ticket():
    c = crew()
    ticket = ticket_in(S.LEAD_HANDLING, c, tier="gold")
    engineer = f.vendor_engineer()
    services.assign_vendor(ticket_id=ticket.pk, by=c.lead, vendor_id=engineer.vendor_id)
    return c, ticket, engineer


def test_a_vendor_engineer_cannot_reassign_the_ticket_to_another_vendor(vendor_ticket):
    """R-SITE-3: the handling lead sends the vendor; the vendor's engineers work under that lead."""
    c, ticket, engineer = vendor_ticket
    other = f.VendorFactory()
    before = snapshot(ticket)
    with pytest.raises(NotPermitted):
        services.assign_vendor(ticket_id=ticket.pk, by=engineer, vendor_id=other.pk)
    assert snapshot(ticket) == before


def test_a_vendor_engineer_cannot_choose_the_on_site_lead(vendor_ticket):
    """R-SITE-3 / R-SITE-5: our lead manages the vendor on site, not the other way round."""
    c, ticket, engineer = vendor_ticket
    before = snapshot(ticket)
    with pytest.raises(NotPermitted):
        services.designate_site_lead(ticket_id=ticket.pk, by=engineer, user_id=c.support.pk)
    assert snapshot(ticket) == before


def test_a_vendor_engineer_cannot_bring_people_on_site(vendor_ticket):
    """R-SITE-3: who goes on site is the handling lead's decision; a vendor cannot add another vendor's staff."""
    c, ticket, engineer = vendor_ticket
    services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=c.support.pk)
    stranger = f.vendor_engineer()
    before = snapshot(ticket)
    with pytest.raises(NotPermitted):
        services.add_site_member(ticket_id=ticket.pk, by=engineer, user_id=stranger.pk)
    assert snapshot(ticket) == before
    # The lead still brings vendors on site.
    services.add_site_member(ticket_id=ticket.pk, by=c.support, user_id=stranger.pk)


def test_an_engineer_cannot_write_a_progress_note_in_another_rooms_name():
    """R-BCAST: each room's line in the broadcast is that room's own latest note."""
    c = crew()
    ticket = ticket_in(S.JOINT_HANDLING, c, tier="gold")
    before = snapshot(ticket)
    with pytest.raises(NotPermitted):
        services.add_progress(ticket_id=ticket.pk, by=c.lead, text="数据网已排除", room_code="datacom")
    assert snapshot(ticket) == before
    note = services.add_progress(ticket_id=ticket.pk, by=c.lead, text="传输正常", room_code="transport")
    assert note.room.code == "transport"


def test_once_there_is_an_on_site_lead_only_they_or_the_manager_release_the_explanation():
    """R-EXPLAIN: the on-site lead (who drafted it) or the support-room manager tells the customer,
    not any engineer of an involved room."""
    c = crew()
    ticket = ticket_in(S.LEAD_HANDLING, c, tier="gold")
    services.designate_site_lead(ticket_id=ticket.pk, by=c.op, user_id=c.support.pk)
    services.record_arrival(ticket_id=ticket.pk, by=c.support, site_kind="customer")  # R-SITE-1
    services.restore(ticket_id=ticket.pk, by=c.lead, note="切换备用路由")
    services.resolve(ticket_id=ticket.pk, by=c.lead, cause_category="fibre_cut", cause_text="光缆被挖断")
    exp = services.draft_explanation(ticket_id=ticket.pk, by=c.support, text="光缆被挖断")
    services.approve_explanation(explanation_id=exp.pk, by=c.manager)
    before = snapshot(ticket)
    with pytest.raises(NotPermitted):
        services.release_explanation(explanation_id=exp.pk, by=c.lead)
    with pytest.raises(NotPermitted):
        services.release_explanation(explanation_id=exp.pk, by=f.support_engineer())
    assert snapshot(ticket) == before
    assert services.release_explanation(explanation_id=exp.pk, by=c.support).state == "released"
