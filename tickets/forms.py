"""Forms of the ticket pages: they only shape input; the services decide."""
from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer
from staff.choices import RoomCode
from supportdesk.core import timebounds

from .choices import (
    AlarmCategory,
    CancelReason,
    CauseCategory,
    DialTestMethod,
    DialTestResult,
    Outage,
    PhoneChannel,
    ProgressKind,
    Severity,
    SiteKind,
    TicketSource,
)
from .models import PreArrivalCheck

# The API's limits (a longer text went out whole in every broadcast e-mail and webhook).
TEXT_MAX = 5000
BODY_MAX = 20000

class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


def customer_label(customer) -> str:
    return f"[{customer.get_tier_display()}] {customer.name} ({customer.code})"


class CustomerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return customer_label(obj)


def customer_code_input() -> forms.TextInput:
    """A customer typed by code, with suggestions: the page's one ``<datalist id="customer-codes">`` holds the first
    customers, and what the person types asks the server for the customers it may mean
    (``tickets:customer-options``), so a page never lists every customer."""
    return forms.TextInput(attrs={
        "list": "customer-codes", "autocomplete": "off",
        "hx-get": reverse_lazy("tickets:customer-options"), "hx-trigger": "input changed delay:250ms",
        "hx-target": "#customer-codes", "hx-swap": "innerHTML", "hx-sync": "this:replace",
    })


class CreateTicketForm(forms.Form):
    title = forms.CharField(label=_("故障简述"), max_length=300)
    customer = CustomerChoiceField(
        label=_("客户编码"), queryset=Customer.objects.all(), to_field_name="code", required=False,
        widget=customer_code_input(), help_text=_("空着则按电路编号匹配"),
        error_messages={"invalid_choice": _("没有这个客户编码。")},
    )
    circuit_id = forms.CharField(label=_("电路编号"), max_length=64, required=False)
    occurred_at = timebounds.PastDateTimeField(label=_("故障发生时间"), widget=LocalDateTimeInput(), initial=_now_local)
    source = forms.ChoiceField(label=_("来源"), choices=TicketSource.choices, initial=TicketSource.PHONE)
    category = forms.ChoiceField(label=_("告警类别"), choices=AlarmCategory.choices, initial=AlarmCategory.OTHER)
    severity = forms.ChoiceField(label=_("告警级别"), choices=Severity.choices, initial=Severity.MAJOR)
    outage = forms.ChoiceField(label=_("中断情况"), choices=Outage.choices, initial=Outage.PARTIAL)
    description = forms.CharField(max_length=TEXT_MAX, label=_("描述"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    dispatch_now = forms.BooleanField(label=_("立即派单"), required=False, initial=True)

    def clean(self):
        data = super().clean()
        if not data.get("customer") and not data.get("circuit_id"):
            raise forms.ValidationError(_("请选择客户或填写电路编号。"))
        return data


class MatchCustomerForm(forms.Form):
    """Triage: the customer by code, picked from one shared ``<datalist id="customer-codes">`` on the page."""

    customer = CustomerChoiceField(
        label=_("客户编码"), queryset=Customer.objects.all(), to_field_name="code", widget=customer_code_input(),
        error_messages={"invalid_choice": _("没有这个客户编码。")},
    )
    circuit_id = forms.CharField(label=_("电路编号"), max_length=64, required=False)
    dispatch_now = forms.BooleanField(label=_("匹配后派单"), required=False, initial=True)


class NoteForm(forms.Form):
    note = forms.CharField(max_length=TEXT_MAX, label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RequiredNoteForm(forms.Form):
    note = forms.CharField(max_length=TEXT_MAX, label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=300)


class OverrideLeadRoomForm(forms.Form):
    room_code = forms.ChoiceField(label=_("新主导室"), choices=[
        (c, label) for c, label in RoomCode.choices if c != RoomCode.MONITORING])
    reason = forms.CharField(label=_("改派原因"), max_length=300)


class DialTestForm(forms.Form):
    method = forms.ChoiceField(label=_("方式"), choices=DialTestMethod.choices)
    result = forms.ChoiceField(label=_("结果"), choices=DialTestResult.choices, widget=forms.RadioSelect)
    detail = forms.CharField(max_length=TEXT_MAX, label=_("详情"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class PhoneCallForm(forms.Form):
    room_code = forms.ChoiceField(label=_("室"), choices=RoomCode.choices, widget=forms.HiddenInput)
    callee = forms.CharField(label=_("接听人"), max_length=64, required=False)
    callee_phone = forms.CharField(label=_("电话"), max_length=32, required=False)
    answered = forms.BooleanField(label=_("已接听"), required=False, initial=True)
    channel = forms.ChoiceField(label=_("方式"), choices=PhoneChannel.choices, initial=PhoneChannel.PHONE,
                                required=False)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)


class ProgressForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=ProgressKind.choices, initial=ProgressKind.GENERAL)
    text = forms.CharField(max_length=TEXT_MAX, label=_("进展"), widget=forms.Textarea(attrs={"rows": 3}))


class PreArrivalForm(forms.Form):
    """R-SITE-4: the call to the customer's technical contact and the tool list."""

    contact_name = forms.CharField(label=_("客户技术联系人"), max_length=64)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32,
                                    widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))
    confirmed_arrangements = forms.CharField(max_length=TEXT_MAX, label=_("确认的时间、地点、人员"), required=False,
                                             widget=forms.Textarea(attrs={"rows": 2}))
    equipment_state = forms.CharField(max_length=TEXT_MAX, label=_("设备现场情况"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    eta = timebounds.PlannedDateTimeField(label=_("预计到达"), required=False, widget=LocalDateTimeInput())
    told_engineer_details = forms.BooleanField(label=_("已告知客户我的姓名、电话、预计到达时间"), required=False)
    tool_laptop = forms.BooleanField(label=_("手提电脑"), required=False)
    tool_patch_cables = forms.BooleanField(label=_("网线"), required=False)
    tool_router_config_backup = forms.BooleanField(label=_("客户路由器备份文件"), required=False)
    tool_transmission_spares = forms.BooleanField(label=_("传输相关设备"), required=False)
    tool_router_spares = forms.BooleanField(label=_("路由器备件"), required=False)
    uniform_and_badge = forms.BooleanField(label=_("统一服装、统一工牌"), required=False)  # R-SITE-4

    def tool_fields(self):
        return [self[name] for name in PreArrivalCheck.TOOLS]

    def tools(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name in PreArrivalCheck.TOOLS}


class ArrivalForm(forms.Form):
    site_kind = forms.ChoiceField(label=_("到场地点"), choices=SiteKind.choices, required=False)
    latitude = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=12, decimal_places=8)
    longitude = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=12, decimal_places=8)
    accuracy = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=0)
    # R-ESC-2 (b): the phone was offline — the time the engineer arrived, at most 15 min (policy) back.
    at = forms.DateTimeField(label=_("实际到场时间（手机离线时填写）"), required=False, widget=LocalDateTimeInput())


class SiteLeadForm(forms.Form):
    user = forms.TypedChoiceField(label=_("现场负责人"), coerce=int, choices=())
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [(p.pk, f"{p} ({p.get_username()})") for p in people]


class RestoreForm(forms.Form):
    note = forms.CharField(max_length=TEXT_MAX, label=_("如何抢通"), widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    cause_category = forms.ChoiceField(label=_("原因分类"), choices=CauseCategory.choices)
    cause_text = forms.CharField(max_length=TEXT_MAX, label=_("故障原因"), widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(max_length=TEXT_MAX, label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AddJointRoomForm(forms.Form):
    """R-ESC-1: a room found to be involved later joins the joint handling."""

    room_code = forms.ChoiceField(label=_("室"), choices=[
        (c, label) for c, label in RoomCode.choices if c != RoomCode.MONITORING])
    reason = forms.CharField(label=_("原因"), max_length=300)


class CloseForm(forms.Form):
    customer_reply = forms.CharField(max_length=TEXT_MAX, label=_("客户回复"), widget=forms.Textarea(attrs={"rows": 2}))


class CancelForm(forms.Form):
    reason = forms.ChoiceField(label=_("取消原因"), choices=CancelReason.choices)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)


class ExplanationForm(forms.Form):
    text = forms.CharField(max_length=TEXT_MAX, label=_("向客户的故障解释"), widget=forms.Textarea(attrs={"rows": 4}))


class ReviewExplanationForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", pgettext_lazy("review", "通过")), ("return", _("退回"))])
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False)
