"""Every enumeration of the complaint domain, once (values are CONTRACT.md's codes)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarSource(models.TextChoices):
    LIBRARY = "library", _("节假日库")
    ADMIN = "admin", _("管理员")


class ComplaintStage(models.TextChoices):
    RECEIVED = "received", _("已受理")
    SORTED = "sorted", _("已分拣")
    ANALYSED = "analysed", _("已定位")
    HANDLED = "handled", _("已处理")
    REPLIED = "replied", _("已回复")
    CLOSED = "closed", _("已关闭")


OPEN_STAGES = (
    ComplaintStage.RECEIVED, ComplaintStage.SORTED, ComplaintStage.ANALYSED,
    ComplaintStage.HANDLED, ComplaintStage.REPLIED,
)


class Importance(models.TextChoices):
    IMPORTANT = "important", _("重要")
    GENERAL = "general", _("一般")


IMPORTANCE_RANK = {Importance.IMPORTANT: 0, Importance.GENERAL: 1}


class Channel(models.TextChoices):
    CUSTOMER_SERVICE = "customer_service", _("客服部门工单")
    PHONE = "phone", _("客户来电")
    VISIT = "visit", _("拜访收集")
    OTHER = "other", _("其他")


class ComplaintCategory(models.TextChoices):
    SLOW = "slow", _("网速缓慢")
    OUTAGE = "outage", _("业务中断")
    INTERMITTENT = "intermittent", _("时断时续")
    PACKET_LOSS = "packet_loss", _("丢包/时延大")
    COVERAGE = "coverage", _("信号覆盖")
    OTHER = "other", _("其他")


class RouteCode(models.TextChoices):
    """Who a complaint is routed to (R-CMP-FLOW): a room of the centre or another department."""

    MONITORING = "monitoring", _("监控室（NOC）")
    SERVICE_SUPPORT = "service_support", _("服务支撑室")
    TRANSPORT = "transport", _("传送网室")
    DATACOM = "datacom", _("数据网室")
    CORE = "core", _("核心网室")
    WIRELESS = "wireless", _("无线网室")
    POWER = "power", _("动力环境室")
    NETWORK_OPTIMISATION = "network_optimisation", _("网络优化部门")
    CONSTRUCTION = "construction", _("建设部门")


class Finding(models.TextChoices):
    EQUIPMENT_FAULT = "equipment_fault", _("设备故障")
    OPTIMISATION = "optimisation", _("网络优化")
    CONSTRUCTION = "construction", _("需建设部门出方案")
    ONSITE_TEST = "onsite_test", _("现场测试")
    NO_FAULT = "no_fault", _("未发现问题")


class CustomerReaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class LimitUnit(models.TextChoices):
    HOURS = "hours", _("小时")
    DAYS = "days", _("工作日")


class DeadlineStage(models.TextChoices):
    SORTING = "sorting", _("接单分拣")
    ANALYSIS = "analysis", _("分析定位")
    HANDLING = "handling", _("问题处理")
    TOTAL = "total", _("总时限")


class Transition(models.TextChoices):
    SORT = "sort", _("分拣")
    ANALYSE = "analyse", _("分析定位")
    HANDLE = "handle", _("处理完成")
    REPLY = "reply", _("回复")
    CLOSE = "close", _("关闭")
    REOPEN = "reopen", _("重新处理")


class EventKind(models.TextChoices):
    RECEIVED = "received", _("受理")
    SORT = "sort", _("分拣")
    ANALYSE = "analyse", _("分析定位")
    HANDLE = "handle", _("处理完成")
    REPLY = "reply", _("回复")
    CLOSE = "close", _("关闭")
    REOPEN = "reopen", _("重新处理")
    FAULT_RAISED = "fault_raised", _("发起故障工单")
    FAULT_LINKED = "fault_linked", _("关联故障工单")
    FAULT_RESTORED = "fault_restored", _("故障已抢通")
    REPEAT = "repeat", _("重复投诉")
    OPINION = "opinion", _("处理意见")
    PROACTIVE_LINKED = "proactive_linked", _("关联主动发现的问题")
    BREACH = "breach", _("超时")
    CALENDAR_GAP = "calendar_gap", _("工作日历缺失")
