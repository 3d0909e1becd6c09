"""The sentences people read when a visit service refuses (``supportdesk.core.errors``): codes → text.

Codes are stable (tests and the pages rely on them); the sentences name the visit by its number, the state by
its display name, people by their names and the field by its label.
"""
from django.utils.translation import gettext_lazy as _

from supportdesk.core.errors import register_field_labels, register_messages

MESSAGES = {
    "visit_state": _("拜访 %(number)s 当前为「%(state)s」，不能%(action)s。"),
    "visit_cancelled": _("拜访 %(number)s 已取消，不能%(action)s。"),
    "visit_fields_locked": _("拜访 %(number)s 当前为「%(state)s」，不能再修改%(fields)s。"),
    "correspondence_not_found": _("这份来文不存在，可能已被删除。"),
    "correspondence_acknowledged": _("来文「%(title)s」已回复收到。"),
    "acknowledgement_required": _("请记录如何告知客户已收到（R-VISIT-4）。"),
    "document_not_found": _("这份文档不存在，可能已被删除。"),
    "own_document_review": _("撰写人不能审核自己的文档（R-VISIT-4）。"),
    "not_document_reviewer": _("%(who)s 不是文档「%(title)s」的审核人（R-VISIT-4）。"),
    "document_nothing_to_review": _("文档「%(title)s」当前为「%(state)s」，没有待您审核的内容。"),
    "return_note_required": _("退回修改须写明意见。"),
    "only_author_edits": _("只有撰写人可以修改文档。"),
    "document_state": _("文档「%(title)s」当前为「%(state)s」，不能%(action)s。"),
    "document_already_sent": _("文档「%(title)s」已发送。"),
    "document_not_approved": _("文档「%(title)s」须经审核人全部同意后才能发送（R-VISIT-4）。"),
    "send_notice_required": _("请记录如何告知客户文档已发送（R-VISIT-4）。"),
    "receipt_notice_required": _("请记录客户的收到确认（谁、何种方式）。"),
    "vendor_as_vendor": _("代维人员只能以代维人员身份参加（R-VISIT-2）。"),
    "not_vendor": _("%(who)s 不是代维人员（R-VISIT-2）。"),
    "vendor_needs_lead": _("代维人员须在我方指定的带队负责人带领下参加（R-VISIT-2）。"),
    "lead_not_found": _("所选的带队负责人不存在或已停用。"),
    "lead_is_vendor": _("带队负责人须为我方人员，不能是代维人员（R-VISIT-2）。"),
    "lead_not_on_visit": _("带队负责人 %(who)s 须是本次拜访的负责人或参加人员（R-VISIT-2）。"),
    "lead_only_for_vendor": _("只有代维人员需要带队负责人。"),
    "already_participant": _("%(who)s 已在参加人员中。"),
    "participant_not_found": _("这名参加人员不存在，可能已被移除。"),
    "still_leads_vendors": _("%(who)s 仍带领代维人员，请先移除代维人员（R-VISIT-2）。"),
    "customer_name_required": _("客户参加人员须填写姓名。"),
    "appointment_call_missing": _(
        "拜访 %(number)s 尚无预约电话记录（确认时间、地点、参加人员并留下联系方式），不能标记为完成（R-VISIT-1）。"
    ),
    "checklist_incomplete": _("例行巡检须逐项填写巡检表后才能标记为完成。"),
    "cancel_reason_required": _("取消拜访须说明原因。"),
    "no_checklist": _("只有带巡检模板的例行巡检拜访可以填写巡检表。"),
    "problem_not_found": _("这个问题不存在，可能已被删除。"),
    "problem_closed": _("该问题已解决或已完成跟进。"),
    "problem_has_ticket": _("该问题已转为故障工单 %(number)s。"),
}

FIELD_LABELS = {
    "ticket": _("工单"),
    "tickets": _("关联工单"),
    "author": _("撰写人"),
    "template": _("模板"),
    "reviewers": _("审核人"),
    "reviews": _("审核"),
    "notice": _("告知记录"),
    "acknowledgement": _("收到确认"),
    "lead": _("带队负责人"),
    "name": _("姓名"),
    "appointment_call": _("预约电话"),
    "checklist": _("巡检表"),
    "checklist_template": _("巡检模板"),
    "results": _("巡检结果"),
    "description": _("问题描述"),
    "owner": _("负责人"),
    "due_date": _("跟进期限"),
    "sender": _("来文单位"),
    "visit": _("拜访"),
    "planned_at": _("计划时间"),
    "actual_at": _("实际拜访时间"),
    "received_at": _("收到时间"),
    "place": _("地点"),
    "subject": _("主题"),
    "notes": _("备注"),
    "summary": _("总结"),
    "direction": _("通话方向"),
    "caller": _("我方通话人"),
}


def register() -> None:
    register_messages(MESSAGES)
    register_field_labels(FIELD_LABELS)
