"""R-QUAL-DIAL: the blackbox exporter client, against the real exporter and a TCP listener."""
import pytest

from quality.prober import BlackboxExporter, ProberUnavailable, configured_prober, parse_metrics

from .blackbox import INSTALLED, free_port, running_exporter, tcp_listener

METRICS = """# HELP probe_success Displays whether or not the probe was a success
# TYPE probe_success gauge
probe_success 1
probe_duration_seconds 0.0123
probe_icmp_duration_seconds{phase="resolve"} 1.2e-05
probe_icmp_duration_seconds{phase="rtt"} 0.004
garbage line here
"""


def test_parse_metrics_reads_values_and_labels():
    """R-QUAL-DIAL: the exporter's text format is read into values (labels kept in the key)."""
    metrics = parse_metrics(METRICS)
    assert metrics["probe_success"] == 1.0
    assert metrics["probe_duration_seconds"] == pytest.approx(0.0123)
    assert metrics['probe_icmp_duration_seconds{phase="rtt"}'] == pytest.approx(0.004)
    assert "garbage" not in metrics


def test_no_exporter_configured(settings):
    """R-QUAL-DIAL: without BLACKBOX_EXPORTER_URL there is no prober (pages say so)."""
    settings.BLACKBOX_EXPORTER_URL = ""
    assert configured_prober() is None


def test_an_exporter_that_does_not_answer_is_unavailable_not_a_failed_line():
    """R-QUAL-DIAL: a prober outage is not a circuit failure."""
    prober = BlackboxExporter(f"http://127.0.0.1:{free_port()}", timeout_s=1)
    with pytest.raises(ProberUnavailable):
        prober.dial(module="tcp_connect", target="127.0.0.1:9")


@pytest.mark.skipif(not INSTALLED, reason="apt-get install prometheus-blackbox-exporter")
def test_real_exporter_passes_an_open_port_and_fails_a_closed_one(tmp_path):
    """R-QUAL-DIAL: the real exporter probes a listener we open (pass), then close (fail, 100 % loss)."""
    with running_exporter(tmp_path) as url:
        prober = BlackboxExporter(url, timeout_s=2)
        with tcp_listener() as server:
            target = f"127.0.0.1:{server.getsockname()[1]}"
            passed = prober.dial(module="tcp_connect", target=target, attempts=3)
        failed = prober.dial(module="tcp_connect", target=target, attempts=3)
    assert passed.result == "pass" and passed.loss_pct == 0.0
    assert passed.latency_ms is not None and passed.latency_ms >= 0
    assert failed.result == "fail" and failed.loss_pct == 100.0
    assert "0/3" in failed.detail
    assert "refused" in failed.detail.lower()
