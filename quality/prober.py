"""R-QUAL-DIAL: the client of a Prometheus blackbox exporter, the probing engine the NOC already runs.

supportdesk does not probe by itself: it asks the exporter ``GET /probe?module=…&target=…`` and reads the
Prometheus text it answers (``probe_success``, ``probe_duration_seconds``, the ICMP round trip where the module
gives it). One dial test is ``attempts`` probes (policy): the result passes when every probe succeeds, the latency
is the median round trip of the successful ones and the loss is the share of failed probes. With
``BLACKBOX_EXPORTER_URL`` unset, :func:`configured_prober` answers None and pages say "no prober configured".
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

import requests
from django.conf import settings

_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)")
_LOG_MSG = re.compile(r'msg="?(?P<msg>[^"]*)"?')


class ProberUnavailable(Exception):
    """The exporter did not answer (down, wrong URL, timeout): no result, not a failed line."""


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text exposition → ``{"name" or 'name{labels}': value}``; comments and junk are skipped."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match:
            continue
        try:
            value = float(match["value"])
        except ValueError:
            continue
        key = match["name"] if not match["labels"] else f'{match["name"]}{{{match["labels"]}}}'
        out[key] = value
    return out


@dataclass
class ProbeOutcome:
    success: bool
    duration_s: float | None
    rtt_s: float | None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class DialOutcome:
    result: str  # "pass" | "fail"
    latency_ms: float | None
    loss_pct: float | None
    detail: str
    module: str
    target: str


def outcome_from_metrics(metrics: dict[str, float]) -> ProbeOutcome:
    rtt = metrics.get('probe_icmp_duration_seconds{phase="rtt"}')
    return ProbeOutcome(success=metrics.get("probe_success", 0.0) == 1.0,
                        duration_s=metrics.get("probe_duration_seconds"), rtt_s=rtt, metrics=metrics)


class BlackboxExporter:
    def __init__(self, base_url: str, *, timeout_s: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def _get(self, module: str, target: str, *, debug: bool = False) -> str:
        params = {"module": module, "target": target}
        if debug:
            params["debug"] = "true"
        try:
            response = requests.get(
                f"{self.base_url}/probe", params=params, timeout=self.timeout_s + 2,
                # The exporter bounds its own probe by the scrape timeout it is told.
                headers={"X-Prometheus-Scrape-Timeout-Seconds": str(self.timeout_s)},
            )
        except requests.RequestException as exc:
            raise ProberUnavailable(f"{self.base_url}: {exc}") from exc
        if response.status_code != 200:
            raise ProberUnavailable(f"{self.base_url}: HTTP {response.status_code}: {response.text[:200]}")
        return response.text

    def probe(self, *, module: str, target: str) -> ProbeOutcome:
        """One ``/probe`` call."""
        return outcome_from_metrics(parse_metrics(self._get(module, target)))

    def why_failed(self, *, module: str, target: str) -> str:
        """The exporter's own words for a failure (``debug=true`` answers the probe's log)."""
        try:
            text = self._get(module, target, debug=True)
        except ProberUnavailable:
            return ""
        errors = [line for line in text.splitlines() if "level=error" in line or "level=ERROR" in line]
        messages = []
        for line in errors:
            match = _LOG_MSG.search(line)
            err = re.search(r'err="?(?P<err>[^"]*)"?', line)
            text_ = (match["msg"] if match else line)
            if err:
                text_ = f"{text_}: {err['err']}"
            messages.append(text_)
        return "; ".join(dict.fromkeys(messages))[:500]

    def dial(self, *, module: str, target: str, attempts: int = 3) -> DialOutcome:
        """R-QUAL-DIAL: ``attempts`` probes make one dial test (pass, latency, loss, detail)."""
        attempts = max(1, attempts)
        outcomes = [self.probe(module=module, target=target) for _ in range(attempts)]
        ok = [o for o in outcomes if o.success]
        loss = 100.0 * (attempts - len(ok)) / attempts
        latencies = [(o.rtt_s if o.rtt_s is not None else o.duration_s) for o in ok]
        latencies = [x for x in latencies if x is not None]
        latency_ms = round(statistics.median(latencies) * 1000, 3) if latencies else None
        result = "pass" if len(ok) == attempts else "fail"
        detail = f"{module} {target}: {len(ok)}/{attempts} probes succeeded"
        if result == "fail":
            why = self.why_failed(module=module, target=target)
            if why:
                detail = f"{detail} ({why})"
        return DialOutcome(result=result, latency_ms=latency_ms, loss_pct=loss, detail=detail[:1000],
                           module=module, target=target)


def configured_prober() -> BlackboxExporter | None:
    """The exporter of ``BLACKBOX_EXPORTER_URL``, or None when none is configured."""
    url = getattr(settings, "BLACKBOX_EXPORTER_URL", "")
    if not url:
        return None
    return BlackboxExporter(url, timeout_s=float(getattr(settings, "BLACKBOX_TIMEOUT_SECONDS", 5)))
