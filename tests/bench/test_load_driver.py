"""The bench's load driver: the wrk plan file, the bodies it fills, its result line (no network, no wrk)."""
import json

from bench import helpdesk
from bench.load import Plan, alarm_body, fill
from bench.wrk import ALARM_TEMPLATE, merge, parse, plan_lines, quantile

LINE = ('BENCH-RESULT {"requests": 4, "duration_us": 2000000, "statuses": {"201": 3, "500": 1}, '
        '"errors": {"connect": 1, "read": 0, "write": 0, "status": 1, "timeout": 2}, "extra": 0, '
        '"quantiles_us": {"0": 1000, "50": 2000, "99": 9000, "100": 10000}}')


def test_the_alarm_template_fills_to_the_python_drivers_alarm_body():
    for seq in range(12):
        filled = fill(ALARM_TEMPLATE, prefix="B-1", seq=seq, circuit="C-7", raised_at="2026-11-30T21:00:00+00:00")
        expected = alarm_body(f"B-1-{seq}", "C-7", "2026-11-30T21:00:00+00:00", seq)
        assert json.loads(filled) == json.loads(expected)


def test_the_helpdesk_template_is_a_json_ticket_in_the_queue():
    body = json.loads(fill(helpdesk.template(3), prefix="HD", seq=5, circuit="C-1", raised_at="now"))
    assert body["queue"] == 3
    assert body["title"] == "LOS on STM-1 port 5 (C-1)"
    assert "HD-5" in body["description"]


def test_a_plan_of_bodies_lists_every_body_once():
    bodies = [b'{"alarm_id": "S-%d"}' % j for j in range(5)]
    lines = plan_lines(Plan(host="h", port=1, token="t0k", path="/", bodies=bodies))
    assert lines[:2] == ["auth Token t0k", "mode bodies"]
    assert [line.removeprefix("body ") for line in lines[2:]] == [b.decode() for b in bodies]


def test_a_plan_of_new_alarms_carries_the_template_and_circuits_in_order():
    lines = plan_lines(Plan(host="h", port=1, token="t", path="/", duration=3, kind="alarm", circuits=["A", "B"],
                            prefix="P-9", raised_at="R"))
    assert lines[1] == "mode template"
    assert '"alarm_id": "P-9-@SEQ@"' in lines[2] and '"raised_at": "R"' in lines[2]
    assert lines[3:] == ["circuit A", "circuit B"]


def test_the_result_line_gives_statuses_unanswered_requests_and_percentiles():
    result, qs = parse("Running 3s test\n" + LINE + "\n")
    assert result.statuses == {201: 3, 500: 1}
    assert result.ok == 3
    assert result.errors == 3  # connect + timeout; the 500 is in the statuses
    assert result.wall_s == 2.0
    merged = merge([(result, qs)])
    assert merged.percentile(50) == 2.0
    assert merged.percentile(99) == 9.0


def test_percentiles_of_several_runs_weigh_each_by_its_requests():
    fast = (300, {0.0: 1000, 50.0: 1000, 100.0: 1000})
    slow = (100, {0.0: 9000, 50.0: 9000, 100.0: 9000})
    assert quantile([fast, slow], 50) == 1.0
    assert quantile([fast, slow], 80) == 9.0
