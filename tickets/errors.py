"""The sentences people read when a ticket service refuses (``supportdesk.core.errors``): codes → text.

Codes are stable (tests and the pages rely on them); the sentences name the ticket by its number, the state
and rooms by their display names and the field by its label.
"""
from django.utils.translation import gettext_lazy as _

from supportdesk.core.errors import register_field_labels, register_messages

MESSAGES = {
    "ticket_state": _("工单 %(number)s 当前为「%(state)s」，不能%(action)s。"),
    "ticket_not_open": _("工单 %(number)s 已是「%(state)s」，不能再%(action)s。"),
    "unknown_circuit": _("没有编号为 %(circuit)s 的电路，请核对电路编号。"),
    "circuit_of_other_customer": _("电路 %(circuit)s 属于客户 %(customer)s，不是所选客户的电路。"),
    "circuit_has_open_ticket": _("电路 %(circuit)s 已有未关闭的工单 %(number)s。"),
    "choose_customer": _("请选择客户，或填写该客户的电路编号。"),
    "no_customer_yet": _("工单 %(number)s 还没有匹配客户，请先匹配客户。"),
    "no_lead_room": _("工单 %(number)s 还没有主导室。"),
    "room_already_leads": _("%(room)s 已经是工单 %(number)s 的主导室。"),
    "already_checked_in": _("%(who)s 已在工单 %(number)s 签到过。"),
    "own_network_first": _("请先记录本网检查结果，再记录客户侧检查（R-OWN-FIRST）。"),
    "explanation_state": _("这条故障解释当前为「%(state)s」，不能%(action)s。"),
    "explanation_not_approved": _("这条故障解释当前为「%(state)s」，须经理审核通过后才能发布给客户（R-EXPLAIN）。"),
    "ticket_changed": _("工单 %(number)s 已被他人修改，请查看最新内容后重试。"),
    "reopen_circuit_busy": _("电路 %(circuit)s 已有未关闭的工单 %(number)s，不能重新打开。"),
    "site_lead_support_room": _("须由支撑室人员担任现场负责人（R-SITE-1）。"),
    "site_lead_first": _("请先指定现场负责人，其他现场人员听从其安排。"),
    "vendor_not_site_lead": _("代维厂家人员 %(who)s 不能担任现场负责人。"),
    "already_site_lead": _("%(who)s 已经是现场负责人。"),
    "position_pair": _("请同时提供纬度和经度，或都不提供。"),
    "explanation_own_draft": _("您起草的故障解释须由另一位经理审核（R-EXPLAIN）。"),
    "alarm_retry": _("告警暂时未能保存，请重新发送。"),
    "too_early": _("「%(field)s」不能早于 2000 年。"),
}

FIELD_LABELS = {
    "customer": _("客户"),
    "circuit_id": _("电路编号"),
    "title": _("故障简述"),
    "reason": _("原因"),
    "note": _("说明"),
    "text": _("内容"),
    "callee": _("接听人"),
    "callee_phone": _("电话"),
    "user": _("人员"),
    "kind": _("类别"),
    "lead_room": _("主导室"),
    "room": _("室"),
    "latitude": _("定位"),
    "at": _("时间"),
    "site_kind": _("签到地点"),
    "result": _("结果"),
    "method": _("方式"),
    "cause_category": _("原因类别"),
    "cause_text": _("故障原因"),
    "customer_reply": _("客户回复"),
    "occurred_at": _("故障发生时间"),
    "raised_at": _("告警时间"),
    "cleared_at": _("告警清除时间"),
}


def register() -> None:
    register_messages(MESSAGES)
    register_field_labels(FIELD_LABELS)
