"""Screens for real people: each deadline's own state, readable errors, forms that keep the input."""
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.builders import alarm_ticket as alarm
from tickets.choices import DeadlineKind
from tickets.models import Deadline

pytestmark = pytest.mark.django_db

NOW = timezone.datetime(2026, 11, 30, 14, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))


def _breached_and_running():
    """A gold ticket whose first deadline was breached while a later one still has time left."""
    circuit = f.CircuitFactory(customer__tier="gold")
    ticket = alarm(circuit.circuit_id, minutes_ago=10)
    clocks = Deadline.objects.filter(ticket=ticket, kind__in=[DeadlineKind.JOINT_HANDLING, DeadlineKind.ARRIVAL])
    deadlines = list(clocks.order_by("due_at"))
    first, later = deadlines[0], deadlines[-1]
    Deadline.objects.filter(pk=first.pk).update(breached_at=timezone.now())
    Deadline.objects.filter(pk=later.pk).update(due_at=timezone.now() + timedelta(minutes=44))
    return ticket


_COUNTDOWN = re.compile(r'<span class="countdown[^"]*"[^>]*data-deadline-state="(\w+)"[^>]*>(.*?)</span></span>', re.S)


@pytest.mark.parametrize("url_name", ["tickets:console", "tickets:detail"])
def test_no_overdue_word_beside_time_still_left(login, operator, url_name):
    """Problem 4: "到场时限 44:54 已超时" — a running deadline never carries another deadline's breach."""
    with time_machine.travel(NOW, tick=False):
        ticket = _breached_and_running()
        url = reverse(url_name, args=[ticket.pk]) if url_name == "tickets:detail" else reverse(url_name)
        html = login(operator).get(url).content.decode()
    running = [m for m in _COUNTDOWN.finditer(html) if m.group(1) == "running"]
    assert running
    for m in running:
        tail = html[m.end():m.end() + 80]
        assert "已超时" not in m.group(2) and "已超时" not in tail.split("</td>")[0].split("</dd>")[0]
    if url_name == "tickets:detail":
        states = re.findall(r'data-deadline-state="(\w+)"', html)
        assert "breached" in states and "running" in states


# --------------------------------------------------------------------------- errors people can read
_RAW = re.compile(r"\b[a-z]+_[a-z_]+\b|%\(|\bR-[A-Z]+-\d\b.*\bis\b")


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Each app registers its own sentences when it loads; the test checks every registered code of every app.
_APP_ERRORS = ["tickets.errors", "visits.errors", "staff.errors", "complaints.errors", "quality.errors"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_domain_error_reads_as_a_sentence_in_both_languages(language):
    """Problem 1: every registered code of every app renders in both languages with no raw code or
    untranslated text, and every registered field label is translated."""
    import importlib

    from django.utils import translation

    from supportdesk.core import errors

    for module in _APP_ERRORS:
        own = importlib.import_module(module)
        assert set(own.MESSAGES) <= set(errors.MESSAGES), module
        assert set(getattr(own, "FIELD_LABELS", {})) <= set(errors.FIELD_LABELS), module
    params = {"number": "FT-20261130-0001", "state": "", "action": "", "circuit": "SZ-XX-9999", "customer": "",
              "room": "", "who": "王工", "max": 300, "title": "2026-Q4 SLA", "line": 7, "day": "2027-01-01",
              "year": 2027, "missing": "reason", "fields": ""}
    cjk = re.compile(r"[\u4e00-\u9fff]")
    with translation.override(language):
        from tickets.choices import TicketState

        params.update(state=TicketState.LEAD_HANDLING.label, action=errors.FIELD_LABELS["customer"],
                      customer="深圳金融集团" if language == "zh-hans" else "Shenzhen Finance",
                      room="Transport" if language == "en" else "传输室",
                      fields=errors.FIELD_LABELS["place"], missing=errors.FIELD_LABELS["reason"])
        for code in errors.MESSAGES:
            unknown = set(_PLACEHOLDER.findall(str(errors.MESSAGES[code]))) - set(params) - {"field"}
            assert not unknown, (code, unknown)
            err = errors.DomainError("developer text", code=code, params=params,
                                     field_errors={"circuit_id": ["x"]} if "field" in str(errors.MESSAGES[code]) else None)
            text = err.human()
            assert code not in text and not _RAW.search(text), (code, text)
            assert "developer text" not in text
            if language == "en":
                assert not cjk.search(text.replace("王工", "")), (code, text)
            else:
                assert cjk.search(text), (code, text)
        for label in errors.FIELD_LABELS.values():
            assert bool(cjk.search(str(label))) == (language == "zh-hans"), label


_DOMAIN_ERRORS = {"TransitionNotAllowed", "Conflict", "NotFound", "NotPermitted", "ValidationFailed",
                  "DialTestRefused", "ProberNotConfigured"}


def _raise_sites_without_a_code(paths):
    import ast

    missing = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = getattr(func, "id", "") or getattr(getattr(func, "value", None), "id", "")
            if name not in _DOMAIN_ERRORS:
                continue
            keywords = {k.arg for k in node.exc.keywords}
            if getattr(func, "attr", "") == "from_errors":
                ok = "codes" in keywords
            else:
                ok = "code" in keywords
            if not ok:
                missing.append(f"{path.parent.name}/{path.name}:{node.lineno}")
    return missing


def test_every_refusal_of_a_ticket_service_carries_a_code():
    """Problem 1: state refusals and conflicts name their code, so people read a sentence, not English."""
    import ast
    from pathlib import Path

    from django.conf import settings

    missing = []
    for path in (Path(settings.BASE_DIR) / "tickets" / "services").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = getattr(node.exc.func, "id", "")
                if name in ("TransitionNotAllowed", "Conflict") and not any(k.arg == "code" for k in node.exc.keywords):
                    missing.append(f"{path.name}:{node.lineno}")
    assert missing == []


def test_every_refusal_of_the_visit_help_complaint_and_quality_services_carries_a_code():
    """Problem 1: each raise site in the visits, complaints and quality services and in help requests
    (R-HELP) gives a stable code, so people read a sentence naming things as they do."""
    from pathlib import Path

    from django.conf import settings

    base = Path(settings.BASE_DIR)
    paths = [p for app in ("visits", "complaints", "quality") for p in (base / app / "services").glob("*.py")]
    paths.append(base / "staff" / "help.py")
    assert _raise_sites_without_a_code(paths) == []


@pytest.mark.parametrize("language, expected", [("zh-hans", "「求助对象」"), ("en", "“Ask”")])
def test_a_refused_help_request_names_the_field_by_its_label(language, expected):
    """Problem 1 and R-HELP: a help request with no room to ask reads as a sentence naming the field."""
    from django.utils import translation

    from staff.help import ask_for_help
    from supportdesk.core.errors import ValidationFailed

    engineer = f.UserFactory()
    with pytest.raises(ValidationFailed) as refused:
        ask_for_help(by=engineer, asked_of="nobody", subject_kind="ticket", subject_id=1, subject_label="x",
                     question="?")
    assert refused.value.field_errors and "asked_of" in refused.value.field_errors
    with translation.override(language):
        text = refused.value.human_for_field("asked_of")
    assert expected in text and "asked_of" not in text and "bad_choice" not in text


def test_a_stale_action_says_what_changed_and_who_and_keeps_the_input(client, gold_ticket):
    """Problems 1, 2, 5: a colleague accepted after the page was drawn; my accept with a typed note is
    refused in people's words (state's display name, who accepted), the note is kept, and a GET of the
    action's address goes back to the ticket page."""
    from tickets import services

    me = f.room_engineer("transport", username="trans-me", first_name="明", last_name="李")
    colleague = f.room_engineer("transport", username="trans-col", first_name="工", last_name="王")
    client.force_login(me)
    page = client.get(reverse("tickets:detail", args=[gold_ticket.pk])).content.decode()
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)
    drawn = re.search(r'name="drawn" value="([^"]+)"', page).group(1)
    services.accept(ticket_id=gold_ticket.pk, by=colleague)
    url = reverse("tickets:action", args=[gold_ticket.pk, "accept"])
    response = client.post(url, {"note": "我已在路上，预计 20 分钟到", "seen": seen, "drawn": drawn})
    assert response.status_code == 409
    html = response.content.decode()
    said = html.split('<ul class="messages"', 1)[1].split("</ul>", 1)[0]
    assert "lead_handling" not in said and "cannot accept" not in said
    assert "主导室处理" in said and str(colleague) in said and "接单" in said
    assert "我已在路上，预计 20 分钟到" in html
    assert f'data-canonical-url="{reverse("tickets:detail", args=[gold_ticket.pk])}"' in html
    again = client.get(url)
    assert again.status_code == 302 and again["Location"] == reverse("tickets:detail", args=[gold_ticket.pk])


@pytest.mark.parametrize("url_name", ["tickets:create", "tickets:triage"])
def test_post_only_addresses_send_a_get_back_to_the_console(client, operator, url_name):
    """Problem 5: refresh or Back on the address a refused form left never shows a blank 405."""
    client.force_login(operator)
    url = reverse(url_name, args=[1]) if url_name == "tickets:triage" else reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("tickets:console"))


def test_dashboard_breach_notes_are_in_shanghai_time_and_words(client):
    """Problem 1: the R-ESC-2 note named the room in English words with the time in UTC."""
    from tickets.services.escalation import sweep

    manager = f.support_manager(username="mgr-tz")
    with time_machine.travel(NOW, tick=False):
        circuit = f.CircuitFactory(customer__tier="gold")
        alarm(circuit.circuit_id, minutes_ago=600)
        sweep()
        html = client.get(reverse("tickets:dashboard")) if client.force_login(manager) is None else None
        html = html.content.decode()
    assert "not on site" not in html
    assert "未按时到场" in html


# --------------------------------------------------------------------------- phones
def test_field_flow_next_step_and_tap_to_call(client, gold_ticket):
    """Problem 9: the next step follows the field flow (pre-arrival call before check-in) and every phone
    number on the ticket page is tap-to-call."""
    from tickets import services

    engineer = f.room_engineer("transport", username="trans-flow")
    services.accept(ticket_id=gold_ticket.pk, by=engineer)
    client.force_login(engineer)
    url = reverse("tickets:detail", args=[gold_ticket.pk])
    html = client.get(url).content.decode()
    assert 'data-next-step="pre_arrival"' in html
    assert '<details class="action" id="act-pre_arrival" data-action="pre_arrival" open>' in html
    assert 'href="tel:13911112222"' in html
    services.record_arrival(ticket_id=gold_ticket.pk, by=engineer, site_kind="equipment")
    html = client.get(url).content.decode()
    assert 'data-next-step="pre_arrival"' in html  # the call was skipped: it is still the step to do
    services.record_pre_arrival(ticket_id=gold_ticket.pk, by=engineer, contact_name="李工", contact_phone="13911112222",
                                confirmed_arrangements=True, equipment_state="", eta=None,
                                told_engineer_details=True, tools={})
    assert 'data-next-step="progress"' in client.get(url).content.decode()


def test_a_returned_explanation_needs_the_engineers_attention_on_the_phone_view(client, gold_ticket):
    """Problem 8: a returned explanation shows on /m/ under "needs your attention", even after resolve."""
    from tickets import services

    engineer = f.room_engineer("transport", username="trans-x")
    manager = f.support_manager(username="mgr-x")
    services.accept(ticket_id=gold_ticket.pk, by=engineer)
    x = services.draft_explanation(ticket_id=gold_ticket.pk, by=engineer, text="光缆被挖断")
    services.review_explanation(explanation_id=x.pk, by=manager, approve=False, note="写明抢通时间")
    client.force_login(engineer)
    html = client.get(reverse("tickets:mine")).content.decode()
    assert "<h1>" in html
    assert f'data-returned="{x.pk}"' in html and "写明抢通时间" in html


# --------------------------------------------------------------------------- finding things at volume
def _three_tickets(engineer):
    from tickets import services

    gold = f.CircuitFactory(customer__tier="gold", customer__name="金融集团", circuit_id="SZ-GOLD-0001")
    normal = f.CircuitFactory(customer__tier="normal", customer__name="普通公司", circuit_id="SZ-NORM-0001")
    a = alarm(gold.circuit_id, alarm_id="A-1")
    b = alarm(normal.circuit_id, alarm_id="B-1", category="datacom")
    c = alarm("SZ-UNKNOWN-7", alarm_id="C-1")
    services.accept(ticket_id=a.pk, by=engineer)
    return a, b, c


def test_console_filters_search_and_counts_are_in_the_address(client, operator):
    """Problem 3: filters (mine, my room, tier, state, overdue, needs triage), search by number, customer and
    circuit, counts per view — in the address bar, so a view is a link."""
    engineer = f.room_engineer("transport", username="trans-f")
    a, b, c = _three_tickets(engineer)
    client.force_login(operator)
    console = reverse("tickets:console")

    def numbers(query):
        html = client.get(f"{console}?{query}").content.decode()
        queue = html[html.index('id="queue"'):]
        return set(re.findall(r'data-ticket="([^"]+)"', queue)), html

    assert numbers("")[0] == {a.number, b.number, c.number}
    assert numbers("tier=gold")[0] == {a.number}
    assert numbers("needs_triage=true")[0] == {c.number}
    assert numbers("state=lead_handling")[0] == {a.number}
    assert numbers("q=普通")[0] == {b.number}
    assert numbers("q=SZ-GOLD")[0] == {a.number}
    assert numbers(f"q={b.number[-4:]}")[0] >= {b.number}
    found, html = numbers("tier=normal")
    assert re.search(r'data-view="all"[^>]*>[^<]*<span class="count">3</span>', html)
    assert re.search(r'data-view="needs_triage"[^>]*>[^<]*<span class="count">1</span>', html)
    assert re.search(r'data-view="tier_normal" aria-current="true"', html)
    assert 'data-jump="triage"' in html and 'data-jump="phone"' in html
    client.force_login(engineer)


def test_the_api_takes_the_same_filters(client):
    """Problem 3: the console's words work in GET /api/v1/tickets/ too."""
    engineer = f.room_engineer("transport", username="trans-api")
    a, b, c = _three_tickets(engineer)
    client.force_login(engineer)
    ok = client.get(reverse("tickets:mine"))
    assert ok.status_code == 200
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(engineer)
    api.force_login(engineer)

    def numbers(query):
        response = api.get(f"/api/v1/tickets/?{query}")
        assert response.status_code == 200, response.content
        return {t["number"] for t in response.json()["results"]}

    assert numbers("mine=true") == {a.number}
    assert a.number in numbers("my_room=true")
    assert numbers("q=SZ-NORM-0001") == {b.number}
    assert numbers("needs_triage=true&tier=normal") <= {c.number}


# --------------------------------------------------------------------------- the dashboard leads to action
def test_dashboard_tiles_and_cells_link_to_filtered_lists_with_csv(client, manager):
    """Problem 7: the explanation queue comes first, every tile and cell is a link to the filtered list,
    a time range, CSV export, and the page keeps its place after an approval."""
    with time_machine.travel(NOW, tick=False):
        ticket = _breached_and_running()
        client.force_login(manager)
        html = client.get(reverse("tickets:dashboard") + "?days=30").content.decode()
        assert html.index('id="explanations"') < html.index('id="dashboard-panel"')
        assert 'data-range="30" aria-current="true"' in html
        for tile in ("open", "joint", "overdue", "breaches-today", "breaches-week", "explanations"):
            assert f'data-tile="{tile}"' in html
        cell = re.search(r'data-cell="gold-dispatched" href="([^"]+)"', html).group(1).replace("&amp;", "&")
        listed = client.get(cell).content.decode()
        assert f'data-ticket="{ticket.number}"' in listed
        overdue = client.get(reverse("tickets:list") + "?overdue=true").content.decode()
        assert f'data-ticket="{ticket.number}"' in overdue
        csv_body = b"".join(client.get(reverse("tickets:list") + "?overdue=true&format=csv").streaming_content)
        assert ticket.number.encode() in csv_body and "深圳".encode() not in csv_body[:3]
        breaches = client.get(reverse("tickets:dashboard") + "?days=7&export=breaches")
        assert breaches["Content-Type"].startswith("text/csv")
        assert ticket.number.encode() in b"".join(breaches.streaming_content)


def _csv(response) -> list[list[str]]:
    import csv
    import io

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_explanation_review_queue_exports_as_csv(client, manager, gold_ticket):
    """Problem 7, R-EXPLAIN: the dashboard's review queue has a CSV export of the drafts awaiting review."""
    from tickets import services

    engineer = f.room_engineer("transport", username="trans-csv")
    services.accept(ticket_id=gold_ticket.pk, by=engineer)
    services.draft_explanation(ticket_id=gold_ticket.pk, by=engineer, text="光缆被挖断，已熔接")
    client.force_login(manager)
    html = client.get(reverse("tickets:dashboard")).content.decode()
    link = re.search(r'href="([^"]+)" data-export="explanations"', html).group(1).replace("&amp;", "&")
    rows = _csv(client.get(link))
    assert rows[0][0] == "工单" and len(rows) == 2
    assert rows[1][0] == gold_ticket.number and rows[1][-1] == "光缆被挖断，已熔接"


def test_the_unanswered_help_requests_export_as_csv(client, gold_ticket):
    """Problem 7, R-HELP: the leader's unanswered help requests on the dashboard have a CSV export."""
    from staff import help as help_service

    engineer = f.room_engineer("transport", username="trans-help-csv")
    help_service.ask_for_help(by=engineer, asked_of="centre_leader", subject_kind="ticket", subject_id=gold_ticket.pk,
                              subject_label=gold_ticket.number, question="需要协调物业开门")
    client.force_login(f.centre_leader(username="leader-csv"))
    html = client.get(reverse("tickets:dashboard")).content.decode()
    link = re.search(r'href="([^"]+)" data-export="help"', html).group(1).replace("&amp;", "&")
    rows = _csv(client.get(link))
    assert len(rows) == 2 and rows[1][1] == gold_ticket.number and rows[1][-1] == "需要协调物业开门"


def test_the_overdue_customer_updates_export_as_csv(client, manager):
    """Problem 7, R-CUST-UPDATE: the overdue customer updates on the dashboard have a CSV export."""
    with time_machine.travel(NOW, tick=False):
        circuit = f.CircuitFactory(customer__tier="gold")
        ticket = alarm(circuit.circuit_id, minutes_ago=10)
        assert ticket.deadlines.filter(kind=DeadlineKind.CUSTOMER_UPDATE).exists()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        client.force_login(manager)
        html = client.get(reverse("tickets:dashboard")).content.decode()
        link = re.search(r'href="([^"]+)" data-export="customer_updates"', html).group(1).replace("&amp;", "&")
        rows = _csv(client.get(link))
    assert ticket.number in [r[0] for r in rows[1:]]
    assert rows[0][0] == "工单"


def test_after_an_approval_the_dashboard_keeps_its_place(client, manager, gold_ticket):
    from tickets import services

    engineer = f.room_engineer("transport", username="trans-keep")
    services.accept(ticket_id=gold_ticket.pk, by=engineer)
    x = services.draft_explanation(ticket_id=gold_ticket.pk, by=engineer, text="光缆被挖断")
    client.force_login(manager)
    page = client.get(reverse("tickets:dashboard")).content.decode()
    nxt = re.search(rf'data-explanation="{x.pk}".*?name="next" value="([^"]+)"', page, re.S).group(1)
    response = client.post(reverse("tickets:explanation-review", args=[x.pk]), {"decision": "approve", "next": nxt})
    assert response.status_code == 302 and response["Location"].endswith("#explanations")


# --------------------------------------------------------------------------- live pages
def test_the_ticket_page_says_live_what_changed_and_who(client, gold_ticket):
    """Problem 2: after a colleague accepted, the open page learns it without a reload (polled part), with
    who did it; the console's triage and phone checklist and the dashboard poll too."""
    from tickets import services

    me = f.room_engineer("transport", username="trans-live")
    colleague = f.room_engineer("transport", username="trans-live2", first_name="工", last_name="王")
    client.force_login(me)
    url = reverse("tickets:detail", args=[gold_ticket.pk])
    page = client.get(url).content.decode()
    poll = re.search(r'id="ticket-changes"[^>]*hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert client.get(poll).content.decode().strip() == ""
    services.accept(ticket_id=gold_ticket.pk, by=colleague)
    banner = client.get(poll).content.decode()
    assert str(colleague) in banner and "主导室处理" in banner and "接单" in banner
    assert 'hx-get="' + url + '?part=timeline"' in page and 'hx-get="' + url + '?part=deadlines"' in page
    timeline = client.get(url + "?part=timeline").content.decode()
    assert str(colleague) in timeline or colleague.username in timeline
    operator = f.monitoring_operator(username="op-live")
    client.force_login(operator)
    console = client.get(reverse("tickets:console")).content.decode()
    for part in ("triage", "phone", "views"):
        assert f"?part={part}" in console
        assert client.get(reverse("tickets:console-queue") + f"?part={part}").status_code == 200


def test_support_engineers_land_on_visits_and_the_admin_has_the_language_switch(client):
    """Problem 10: support engineers landed on /m/; /admin/ had no language switch."""
    client.force_login(f.support_engineer(username="supp-land"))
    assert client.get("/")["Location"] == "/visits/"
    admin = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    html = client.get("/admin/").content.decode()
    assert 'id="admin-language"' in html and 'value="en"' in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert 'aria-pressed="true">EN' in client.get("/admin/").content.decode()


def test_a_poll_that_finds_nothing_new_is_a_304(client, operator):
    """Live pages cost little: an unchanged polled part answers 304 until a ticket event happens."""
    from tickets import services

    with time_machine.travel(NOW, tick=False):
        circuit = f.CircuitFactory(customer__tier="gold")
        ticket = alarm(circuit.circuit_id)
        client.force_login(operator)
        url = reverse("tickets:console-queue")
        etag = client.get(url, headers={"HX-Request": "true"})["ETag"]
        assert client.get(url, headers={"HX-Request": "true", "If-None-Match": etag}).status_code == 304
        services.record_phone_call(ticket_id=ticket.pk, by=operator, room_code="transport", answered=True,
                                   callee="王工", callee_phone="", note="", channel="phone")
        assert client.get(url, headers={"HX-Request": "true", "If-None-Match": etag}).status_code == 200


def test_r_prio_puts_breached_and_due_before_nothing_pending(client, operator):
    """R-PRIO (problem 3): within a tier, a ticket whose deadline was breached (escalated by the sweep, its hourly
    broadcasts pending) and one with time left come before a restored ticket with nothing pending; the console and
    the API agree."""
    from tickets import services
    from tickets.models import FaultTicket
    from tickets.services.escalation import sweep

    with time_machine.travel(NOW, tick=False):
        engineer = f.room_engineer("transport", username="trans-prio")
        restored = alarm(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=50, alarm_id="P-1")
        services.accept(ticket_id=restored.pk, by=engineer)
        services.restore(ticket_id=restored.pk, by=engineer, note="备用路由")
        Deadline.objects.filter(ticket=restored, met_at__isnull=True, breached_at__isnull=True).update(
            cancelled_at=timezone.now())
        breached = alarm(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=70, alarm_id="P-2")
        sweep(origin="test")
        assert Deadline.objects.filter(ticket=breached, breached_at__isnull=False).exists()
        running = alarm(f.CircuitFactory(customer__tier="gold").circuit_id, minutes_ago=5, alarm_id="P-3")
        client.force_login(operator)
        html = client.get(reverse("tickets:console")).content.decode()
    order = [n for n in re.findall(r'data-ticket="([^"]+)"', html[html.index('id="queue"'):])]
    assert order.index(breached.number) < order.index(restored.number)
    assert order.index(running.number) < order.index(restored.number)
    assert FaultTicket.objects.get(pk=restored.pk).state == "restored"


def test_the_new_screens_speak_english_too(client, manager, gold_ticket):
    """The list page, the dashboard's range and exports, the console's views and a refusal, in English."""
    from tests.test_i18n import _program_chinese

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(manager)
    for url in (reverse("tickets:list") + "?open=true", reverse("tickets:dashboard") + "?days=30"):
        html = client.get(url).content.decode()
        assert '<html lang="en">' in html and _program_chinese(html) == [], url
    operator = f.monitoring_operator(username="op-en")
    client.force_login(operator)
    html = client.get(reverse("tickets:console") + "?tier=gold").content.decode()
    assert _program_chinese(html) == []
    refused = client.post(reverse("tickets:create"), {
        "title": "x", "circuit_id": "NO-SUCH", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "source": "phone", "category": "other", "severity": "major", "outage": "partial"}).content.decode()
    assert "There is no circuit NO-SUCH" in refused and _program_chinese(refused) == []


def test_times_in_the_admin_rows_are_shanghai_times(gold_ticket):
    """Problem 1: every time shown is Asia/Shanghai, the admin's row names included."""
    from datetime import UTC, datetime

    deadline = Deadline.objects.filter(ticket=gold_ticket).first()
    deadline.due_at = datetime(2026, 11, 30, 2, 33, tzinfo=UTC)
    assert str(deadline).endswith("2026-11-30 10:33")
    event = gold_ticket.events.first()
    assert timezone.localtime(event.at).strftime("%H:%M") in str(event)


# --------------------------------------------------------------------------- broadcasts and help
def test_the_operator_previews_a_broadcast_with_their_own_text(client, operator, gold_ticket):
    """R-BCAST (c), problem 10: the manual broadcast with the operator's own words is read before it goes out;
    nothing is published by the preview, and the text stays in the form."""
    client.force_login(operator)
    url = reverse("tickets:broadcast-preview", args=[gold_ticket.pk])
    before = gold_ticket.broadcasts.count()
    part = client.post(url, {"text": "客户要求每 30 分钟通报一次"}, headers={"HX-Request": "true"}).content.decode()
    assert "客户要求每 30 分钟通报一次" in part and "data-broadcast-preview" in part and 'lang="en"' in part
    page = client.post(url, {"text": "客户要求每 30 分钟通报一次"})
    html = page.content.decode()
    assert page.status_code == 200 and "data-broadcast-preview" in html
    assert '<details class="action" id="act-broadcast" data-action="broadcast" open>' in html
    assert "客户要求每 30 分钟通报一次</textarea>" in html
    assert gold_ticket.broadcasts.count() == before
    assert client.get(url)["Location"] == reverse("tickets:detail", args=[gold_ticket.pk])


def test_open_help_requests_need_attention_on_the_phone_view(client, gold_ticket):
    """R-HELP, problem 8: the engineer's open help request shows on /m/ under "needs your attention"."""
    from staff import help as help_service

    engineer = f.room_engineer("transport", username="trans-help")
    help_service.ask_for_help(by=engineer, asked_of="centre_leader", subject_kind="ticket",
                              subject_id=gold_ticket.pk, subject_label=gold_ticket.number,
                              question="需要协调物业开门", link=reverse("tickets:detail", args=[gold_ticket.pk]))
    client.force_login(engineer)
    html = client.get(reverse("tickets:mine")).content.decode()
    assert 'id="attention"' in html and "data-help-mine=" in html and gold_ticket.number in html
