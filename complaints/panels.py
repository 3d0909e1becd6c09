"""What complaints add to the pages, the sweep and the health of lower apps (registered in ``ready()``)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.utils.translation import gettext as _

from . import selectors
from .services.deadlines import sweep_complaint_deadlines

COVERAGE_DAYS = 60


def dashboard_context(request) -> dict:
    """R-CMP-LIMITS: the complaint panel of the manager's dashboard."""
    return {"cmp": selectors.dashboard()}


def console_context(request) -> dict:
    """R-CMP-FLOW: monitoring sees the complaints waiting beside its fault queue."""
    if not request.user.has_perm("complaints.view_complaint"):
        return {"cmp_console": None}
    return {"cmp_console": selectors.console_summary()}


def sweep_step(*, now: datetime) -> dict[str, int]:
    """R-CMP-LIMITS: the complaint deadlines in the one deadline sweep."""
    summary = asdict(sweep_complaint_deadlines(now=now))
    return {k: v for k, v in summary.items() if v}


def calendar_warning() -> str | None:
    """R-CMP-WORKDAY: the working calendar must cover the next 60 days (official schedule, make-up days included)."""
    gap = selectors.calendar_coverage_gap(days=COVERAGE_DAYS)
    if gap is None:
        return None
    return _("工作日历从 %(day)s 起缺少官方安排（含调休上班日）：请用 load_workdays 或在管理后台录入 %(year)s 年。") % {
        "day": gap.isoformat(), "year": gap.year}
