"""Every enumeration of the ticket domain, once (values are CONTRACT.md's codes)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class AlarmCategory(models.TextChoices):
    TRANSMISSION = "transmission", _("传输")
    DATACOM = "datacom", _("数据网")
    CORE = "core", _("核心网")
    WIRELESS = "wireless", _("无线")
    POWER = "power", _("动力环境")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("紧急")
    MAJOR = "major", _("重要")
    MINOR = "minor", _("次要")
    WARNING = "warning", _("警告")


class Outage(models.TextChoices):
    TOTAL = "total", _("全阻")
    PARTIAL = "partial", _("部分中断")
    NONE = "none", _("无中断")


class TicketSource(models.TextChoices):
    ALARM = "alarm", _("网管告警")
    PHONE = "phone", _("客户来电")
    COMPLAINT = "complaint", _("投诉")
    DIAL_TEST = "dial_test", _("拨测失败")
    VISIT = "visit", _("拜访收集")
    OTHER = "other", _("其他")


class TicketState(models.TextChoices):
    NEW = "new", _("新建")
    DISPATCHED = "dispatched", _("已派单")
    LEAD_HANDLING = "lead_handling", _("主导室处理")
    JOINT_HANDLING = "joint_handling", _("联合处理")
    RESTORED = "restored", _("已抢通")
    RESOLVED = "resolved", _("已修复")
    CLOSED = "closed", _("已关闭")
    CANCELLED = "cancelled", _("已取消")


# A ticket in one of these states still owns its circuit: a new alarm joins it.
OPEN_STATES = (
    TicketState.NEW,
    TicketState.DISPATCHED,
    TicketState.LEAD_HANDLING,
    TicketState.JOINT_HANDLING,
    TicketState.RESTORED,
)
# The fault is still hurting the customer: deadlines run, broadcasts go out.
ACTIVE_FAULT_STATES = (
    TicketState.NEW,
    TicketState.DISPATCHED,
    TicketState.LEAD_HANDLING,
    TicketState.JOINT_HANDLING,
)


class Transition(models.TextChoices):
    """Transition names of docs/rules.md §3.6 (used in the API path and the event log)."""

    DISPATCH = "dispatch", _("派单")
    ACCEPT = "accept", _("接单")
    START_JOINT = "start_joint", _("启动联合处理")
    RESTORE = "restore", _("抢通")
    RESOLVE = "resolve", _("修复")
    CLOSE = "close", _("关闭")
    CANCEL = "cancel", _("取消")
    REOPEN = "reopen", _("重新打开")
    REFAIL = "refail", _("业务再次中断")  # R-RESTORE-FIRST


class EventKind(models.TextChoices):
    """What an event records: a transition, or another fact on the ticket."""

    CREATED = "created", _("创建")
    DISPATCH = "dispatch", _("派单")
    ACCEPT = "accept", _("接单")
    START_JOINT = "start_joint", _("启动联合处理")
    RESTORE = "restore", _("抢通")
    RESOLVE = "resolve", _("修复")
    CLOSE = "close", _("关闭")
    CANCEL = "cancel", _("取消")
    REOPEN = "reopen", _("重新打开")
    REFAIL = "refail", _("业务再次中断")
    ALARM_ABSORBED = "alarm_absorbed", _("关联告警")
    ALARM_CLEARED = "alarm_cleared", _("告警清除")
    RESTORE_PROPOSED = "restore_proposed", _("建议抢通")
    LEAD_ROOM_SET = "lead_room_set", _("设定主导室")
    LEAD_ROOM_OVERRIDDEN = "lead_room_overridden", _("改派主导室")
    CUSTOMER_MATCHED = "customer_matched", _("匹配客户")
    ROOM_NOTIFIED = "room_notified", _("通知相关室")
    PHONE_CALL = "phone_call", _("电话通知")
    DIAL_TEST = "dial_test", _("拨测")
    PROGRESS = "progress", _("进展")
    ARRIVAL = "arrival", _("到场")
    PRE_ARRIVAL = "pre_arrival", _("到场前准备")
    SITE_LEAD = "site_lead", _("指定现场负责人")
    SITE_MEMBER = "site_member", _("现场人员")
    EXPEDITE = "expedite", _("领导督办")
    ESCALATION = "escalation", _("升级")
    ARRIVAL_BREACH = "arrival_breach", _("到场超时")
    BROADCAST = "broadcast", _("信息发布")
    EXPLANATION = "explanation", _("故障解释")
    VENDOR_ASSIGNED = "vendor_assigned", _("指派代维")
    VENDOR_STANDBY = "vendor_standby", _("代维待命")  # R-ESC-1
    ROOM_ADDED = "room_added", _("加入联合处理")  # R-ESC-1
    CAUSE_CONFIRMED = "cause_confirmed", _("确认故障原因")  # R-ESC-3
    SITE_LEAD_EXCEPTION = "site_lead_exception", _("现场负责人例外")  # R-SITE-1 / R-SITE-2
    CUSTOMER_UPDATE = "customer_update", _("向客户通报")  # R-CUST-UPDATE


class DeadlineKind(models.TextChoices):
    JOINT_HANDLING = "joint_handling", _("联合处理时限")  # R-ESC-1 / R-ESC-3
    ARRIVAL = "arrival", _("到场时限")  # R-ESC-2
    BROADCAST = "broadcast", _("信息发布")  # R-BCAST, one row per hourly slot
    CUSTOMER_UPDATE = "customer_update", _("向客户通报")  # R-CUST-UPDATE, one row per broadcast or restore


class EscalationKind(models.TextChoices):
    JOINT_HANDLING = "joint_handling", _("启动联合处理")
    ARRIVAL_BREACH = "arrival_breach", _("未按时到场")
    SITE_LEAD_BREACH = "site_lead_breach", _("未按时指定现场负责人")  # R-SITE-1 / R-SITE-2


class InvolvementRole(models.TextChoices):
    LEAD = "lead", _("主导室")
    PROFESSIONAL = "professional", _("相关专业室")
    SUPPORT = "support", _("服务支撑室")


class SiteKind(models.TextChoices):
    EQUIPMENT = "equipment", _("设备现场")
    CUSTOMER = "customer", _("客户现场")


class ProgressKind(models.TextChoices):
    GENERAL = "general", _("进展")
    OWN_NETWORK = "own_network", _("本网检查")  # R-OWN-FIRST
    CUSTOMER_SIDE = "customer_side", _("客户端检查")


class CauseCategory(models.TextChoices):
    TRANSMISSION = "transmission", _("传输故障")
    DATACOM = "datacom", _("数据设备故障")
    CORE = "core", _("核心网故障")
    WIRELESS = "wireless", _("无线故障")
    POWER = "power", _("动力环境")
    CUSTOMER_SIDE = "customer_side", _("客户端原因")
    FIBRE_CUT = "fibre_cut", _("光缆中断")
    THIRD_PARTY = "third_party", _("第三方原因")
    OTHER = "other", _("其他")


class CancelReason(models.TextChoices):
    FALSE_ALARM = "false_alarm", _("误告警")
    DUPLICATE = "duplicate", _("重复工单")
    CLEARED = "cleared", _("告警已自动清除")


class DialTestResult(models.TextChoices):
    PASS = "pass", _("通过")
    FAIL = "fail", _("失败")


class DialTestMethod(models.TextChoices):
    PING = "ping", _("Ping")
    TRACE = "trace", _("Traceroute")
    OTHER = "other", _("其他")


class ExplanationState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已审核")
    RETURNED = "returned", _("退回修改")
    RELEASED = "released", _("已发布")


class PhoneChannel(models.TextChoices):
    PHONE = "phone", _("人工电话")
    VOICE_GATEWAY = "voice_gateway", _("语音网关")
    SMS_GATEWAY = "sms_gateway", _("短信网关")


class ContactChannel(models.TextChoices):
    """How we spoke to the customer (R-EXPLAIN release, R-CUST-UPDATE)."""

    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")
    EMAIL = "email", _("邮件")
    FAX = "fax", _("传真")
    IN_PERSON = "in_person", _("当面")
    WECHAT = "wechat", _("微信")


class BroadcastKind(models.TextChoices):
    DISPATCH = "dispatch", _("派单发布")  # R-BCAST (a)
    SCHEDULED = "scheduled", _("定时发布")
    MANUAL = "manual", _("人工发布")
    FINAL = "final", _("结束通报")
