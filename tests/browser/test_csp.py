"""Finding 9 / deliverable 6: the pages work under their Content-Security-Policy in a real browser: no violation
reported on any page (htmx and the vendored scripts load; nothing inline is blocked)."""
import pytest

from tests import factories as f
from tests.browser.test_flows import DESKTOP, breached_ticket, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/console/", "/dashboard/", "/broadcasts/", "/visits/", "/visits/agenda/", "/visits/coverage/", "/m/",
         "/api/docs/"]


def test_no_page_breaks_its_content_security_policy(live_server, browser):
    user = f.centre_leader(username="everyone", is_staff=True)
    for role in (f.monitoring_operator(), f.support_engineer(), f.room_engineer("transport")):
        user.groups.add(*role.groups.all())
    ticket = breached_ticket()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    violations = []
    current = {"path": ""}
    page.on("console", lambda message: violations.append((current["path"], message.text[:160]))
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    log_in(page, live_server.url, "everyone")
    for path in [*PAGES, f"/tickets/{ticket.pk}/"]:
        current["path"] = path
        response = page.goto(f"{live_server.url}{path}")
        assert response.status < 400, path
        assert response.headers.get("content-security-policy"), path
        page.wait_for_load_state("networkidle")
    htmx_loaded = page.evaluate("typeof window.htmx !== 'undefined'")
    context.close()
    assert violations == []
    assert htmx_loaded
