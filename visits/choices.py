"""Every enumeration of the visits domain, once (docs/rules.md §4)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitKind(models.TextChoices):
    TECHNICAL_EXCHANGE = "technical_exchange", _("技术交流")
    FAULT_REVIEW = "fault_review", _("故障总结")
    DIFFERENTIATED_SERVICE = "differentiated_service", _("差异化服务")
    ROUTINE_INSPECTION = "routine_inspection", _("例行巡检")
    INSTALLATION = "installation", _("设备安装调测")
    COMPLAINT_FOLLOW_UP = "complaint_follow_up", _("投诉回访")


class VisitState(models.TextChoices):
    PLANNED = "planned", _("计划中")
    CONFIRMED = "confirmed", _("已预约")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


# A visit in one of these states is still ahead of us: it shows on the agenda.
UPCOMING_STATES = (VisitState.PLANNED, VisitState.CONFIRMED)


class ParticipantKind(models.TextChoices):
    """R-VISIT-2: who of ours goes."""

    STAFF = "staff", _("支撑室人员")
    VIRTUAL_TEAM = "virtual_team", _("虚拟小分队")
    VENDOR = "vendor", _("代维人员")


class DocumentKind(models.TextChoices):
    PROPOSAL = "proposal", _("方案建议书")
    REPORT = "report", _("报告")
    FAX = "fax", _("传真")
    EMAIL = "email", _("邮件")


class DocumentState(models.TextChoices):
    IN_REVIEW = "in_review", _("审核中")
    APPROVED = "approved", _("已审核")
    SENT = "sent", _("已发送")
    RECEIVED = "received", _("客户已收到")


class ReviewDecision(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("同意")
    RETURNED = "returned", _("退回修改")


class CheckResult(models.TextChoices):
    OK = "ok", _("正常")
    FAULT = "fault", _("故障")
    NA = "na", _("不适用")


class ReminderKind(models.TextChoices):
    CALL_DUE = "call_due", _("预约电话未打")
    FOLLOW_UP_TOMORROW = "follow_up_tomorrow", _("跟进明天到期")
    FOLLOW_UP_OVERDUE = "follow_up_overdue", _("跟进已超期")
    FAULT_REVIEW_PROPOSED = "fault_review_proposed", _("建议故障总结拜访")


class VisitEventKind(models.TextChoices):
    CREATED = "created", _("创建")
    CONFIRM = "confirm", _("预约确认")
    COMPLETE = "complete", _("完成拜访")
    CANCEL = "cancel", _("取消")
    UPDATED = "updated", _("修改")
    PARTICIPANT = "participant", _("参加人员")
    PROBLEM = "problem", _("收集问题")
    PROBLEM_TICKET = "problem_ticket", _("问题转故障工单")
    FOLLOW_UP = "follow_up", _("问题跟进")
    DOCUMENT = "document", _("文档")
    CHECKLIST = "checklist", _("巡检记录")
    TICKET_LINKED = "ticket_linked", _("关联工单")


class CallDirection(models.TextChoices):
    """R-VISIT-1: who called whom."""

    OUTGOING = "outgoing", _("我方致电客户")
    INCOMING = "incoming", _("客户来电")
