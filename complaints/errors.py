"""The domain errors the complaint services raise (the shared family; API and views map them), and the
sentences people read for their codes, naming the complaint by its number and the stage by its display name.
"""
from django.utils.translation import gettext_lazy as _

from supportdesk.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    NotPermitted,
    TransitionNotAllowed,
    ValidationFailed,
    register_field_labels,
    register_messages,
)

__all__ = ["Conflict", "DomainError", "NotFound", "NotPermitted", "TransitionNotAllowed", "ValidationFailed"]

MESSAGES = {
    "complaint_stage": _("投诉 %(number)s 当前为「%(state)s」，不能%(action)s。"),
    "unknown_customer": _("没有编号为 %(customer)s 的客户，请核对客户编号。"),
    "circuit_not_of_customer": _("电路 %(circuit)s 不属于客户 %(customer)s。"),
    "fault_ticket_not_restored": _("故障工单 %(number)s 尚未恢复。"),
    "reply_text_required": _("请填写告知客户的处理结果。"),
    "no_reply_to_react": _("投诉 %(number)s 还没有答复，无法登记客户反馈。"),
    "opinion_required": _("请写明处理意见（至少几个字）。"),
    "close_without_reply": _("投诉 %(number)s 还没有登记答复，不能关闭（R-CMP-LOOP）。"),
    "repeat_needs_opinion": _("投诉 %(number)s 是重复投诉，须写明处理意见后才能关闭。"),
    "calendar_admin_entered": _("%(year)s 年的日历由管理员录入，如需替换请使用 --force。"),
    "calendar_year_unknown": _("日历库中没有 %(year)s 年的数据，请用 --file 导入官方安排。"),
    "calendar_header": _("文件表头须包含日期、是否工作日、原因三列（缺少 %(missing)s）。"),
    "calendar_bad_date": _("第 %(line)s 行：日期须为“年-月-日”格式（如 2027-01-01）。"),
    "calendar_bad_flag": _("第 %(line)s 行：是否工作日须填 1 或 0。"),
    "calendar_day_twice": _("第 %(line)s 行：%(day)s 重复出现。"),
    "calendar_one_year": _("文件只能包含同一年的日期。"),
    "calendar_no_holiday": _("文件中没有 %(year)s 年的节假日，官方安排一定有节假日。"),
}

FIELD_LABELS = {
    "customer_code": _("客户编号"),
    "category": _("投诉类别"),
    "channel": _("受理渠道"),
    "importance": _("重要程度"),
    "complaint_id": _("投诉编号"),
    "route_to": _("分派去向"),
    "finding": _("分析结论"),
    "fault_ticket": _("故障工单"),
    "customer_reaction": _("客户反馈"),
    "opinion": _("处理意见"),
    "reply": _("答复"),
    "year": _("年份"),
    "file": _("文件"),
}


def register() -> None:
    register_messages(MESSAGES)
    register_field_labels(FIELD_LABELS)
