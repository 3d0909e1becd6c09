"""Forms of the visit pages: they shape input; the rules are in ``visits.services``."""
from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from staff.models import HelpRequest, User
from supportdesk.core import timebounds
from tickets.choices import AlarmCategory, Outage, Severity
from tickets.models import FaultTicket

from .choices import CallDirection, DocumentKind, ParticipantKind, VisitKind
from .models import ChecklistTemplate, DocumentTemplate

# The API's limits (a longer text went out whole in every broadcast e-mail and webhook).
TEXT_MAX = 5000
BODY_MAX = 20000

class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def staff_users():
    """Our own people (vendor engineers are chosen separately, under a lead)."""
    return User.objects.filter(is_active=True, vendor__isnull=True).order_by("last_name", "first_name", "username")


def active_users():
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = str(obj)
        return f"{name} ({obj.get_username()})" if name != obj.get_username() else name


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return PersonChoiceField.label_from_instance(self, obj)


class VisitForm(forms.Form):
    customer = forms.ModelChoiceField(Customer.objects.order_by("tier", "name"), label=_("客户"))
    kind = forms.ChoiceField(choices=VisitKind.choices, label=_("拜访类型"))
    planned_at = timebounds.PlannedDateTimeField(label=_("计划时间"), widget=DateTimeLocal())
    place = forms.CharField(label=_("地点"), max_length=300, required=False)
    subject = forms.CharField(label=_("主题"), max_length=200, required=False)
    owner = PersonChoiceField(staff_users(), label=_("负责人"), required=False,
                              help_text=_("留空则由本人负责"))
    checklist_template = forms.ModelChoiceField(
        ChecklistTemplate.objects.filter(active=True), label=_("巡检模板"), required=False,
        help_text=_("例行巡检使用；留空则用默认模板"),
    )
    ticket_numbers = forms.CharField(
        label=_("关联故障工单号"), required=False, help_text=_("故障总结拜访使用，多个工单号用逗号或空格分隔"),
    )
    notes = forms.CharField(max_length=TEXT_MAX, label=_("备注"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()

    def clean_ticket_numbers(self) -> list[int]:
        raw = self.cleaned_data.get("ticket_numbers") or ""
        numbers = [n for n in raw.replace("，", ",").replace(",", " ").split() if n]
        if not numbers:
            return []
        found = dict(FaultTicket.objects.filter(number__in=numbers).values_list("number", "pk"))
        missing = [n for n in numbers if n not in found]
        if missing:
            raise forms.ValidationError(_("工单不存在：%(numbers)s") % {"numbers": ", ".join(missing)})
        return [found[n] for n in numbers]


class VisitEditForm(VisitForm):
    summary = forms.CharField(max_length=TEXT_MAX, label=_("拜访纪要"), widget=forms.Textarea(attrs={"rows": 4}),
                              required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)  # refused if someone saved in between

    def __init__(self, *args, upcoming: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["customer"]
        if not upcoming:
            for name in list(self.fields):
                if name not in ("notes", "summary", "version"):
                    del self.fields[name]


class ConfirmForm(forms.Form):
    """R-VISIT-1: the appointment call."""

    direction = forms.ChoiceField(choices=CallDirection.choices, label=_("方向"), initial=CallDirection.OUTGOING)
    callee_name = forms.CharField(label=_("客户联系人"), max_length=64)
    callee_phone = forms.CharField(label=_("客户电话"), max_length=32,
                                   widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    called_at = timebounds.PastDateTimeField(label=_("通话时间"), widget=DateTimeLocal(), initial=timezone.now)
    confirmed_time = timebounds.PlannedDateTimeField(label=_("确认的拜访时间"), widget=DateTimeLocal())
    confirmed_place = forms.CharField(label=_("确认的地点"), max_length=300)
    confirmed_participants = forms.CharField(max_length=TEXT_MAX, label=_("确认的参加人员"),
                                             widget=forms.Textarea(attrs={"rows": 2}))
    contact_left = forms.CharField(label=_("留给客户的联系方式"), max_length=200,
                                   help_text=_("我方联系人姓名与电话"))
    note = forms.CharField(max_length=TEXT_MAX, label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CompleteForm(forms.Form):
    actual_at = timebounds.PastDateTimeField(label=_("实际拜访时间"), widget=DateTimeLocal(), initial=timezone.now)
    summary = forms.CharField(max_length=TEXT_MAX, label=_("拜访纪要"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=300)


class ParticipantForm(forms.Form):
    """R-VISIT-2: a vendor engineer joins only under a lead of ours."""

    user = PersonChoiceField(active_users(), label=_("人员"))
    kind = forms.ChoiceField(choices=[("", _("自动判断"))] + list(ParticipantKind.choices), label=_("身份"),
                             required=False)
    lead = PersonChoiceField(staff_users(), label=_("带队负责人（代维人员必填）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = active_users()
        self.fields["lead"].queryset = staff_users()


class CustomerParticipantForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    title = forms.CharField(label=_("职务"), max_length=64, required=False)
    phone = forms.CharField(label=_("电话"), max_length=32, required=False, widget=forms.TextInput(attrs={"type": "tel"}))


class ProblemForm(forms.Form):
    """R-VISIT-3: solved on site, or an owner and a due date."""

    description = forms.CharField(max_length=TEXT_MAX, label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    solved_on_site = forms.BooleanField(label=_("现场已解决"), required=False)
    solution = forms.CharField(max_length=TEXT_MAX, label=_("解决情况"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    owner = PersonChoiceField(staff_users(), label=_("跟进责任人"), required=False)
    due_date = timebounds.PlannedDateField(label=_("跟进期限"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_users()


class FollowUpForm(forms.Form):
    note = forms.CharField(max_length=TEXT_MAX, label=_("跟进情况"), widget=forms.Textarea(attrs={"rows": 2}))
    due_date = timebounds.PlannedDateField(label=_("新的跟进期限"), required=False, widget=DateInput())
    close = forms.BooleanField(label=_("跟进完成"), required=False)


class ProblemTicketForm(forms.Form):
    title = forms.CharField(label=_("工单标题"), max_length=300, required=False, help_text=_("留空则使用问题描述"))
    circuit_id = forms.CharField(label=_("电路编号"), max_length=64, required=False)
    category = forms.ChoiceField(choices=AlarmCategory.choices, label=_("类别"), initial=AlarmCategory.OTHER)
    severity = forms.ChoiceField(choices=Severity.choices, label=_("级别"), initial=Severity.MAJOR)
    outage = forms.ChoiceField(choices=Outage.choices, label=_("中断情况"), initial=Outage.PARTIAL)


class DocumentForm(forms.Form):
    """R-VISIT-4: on a standard template, one or two reviewers who are not the author."""

    kind = forms.ChoiceField(choices=DocumentKind.choices, label=_("文档类型"))
    title = forms.CharField(label=_("标题"), max_length=200)
    template = forms.ModelChoiceField(DocumentTemplate.objects.filter(active=True), label=_("使用模板"))
    body = forms.CharField(max_length=BODY_MAX, label=_("正文"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
                           help_text=_("留空则使用模板正文"))
    reviewers = PeopleChoiceField(staff_users(), label=_("审核人（一至两名）"),
                                  widget=forms.SelectMultiple(attrs={"size": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = DocumentTemplate.objects.filter(active=True)
        self.fields["reviewers"].queryset = staff_users()


class ReviewForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", _("同意发送")), ("0", _("退回修改"))], coerce=lambda v: v == "1", widget=forms.RadioSelect,
        label=_("审核结果"),
    )
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class NoticeForm(forms.Form):
    notice = forms.CharField(label=_("告知/确认情况"), max_length=300, help_text=_("谁、以何种方式告知或确认"))


class ReviseForm(forms.Form):
    body = forms.CharField(max_length=BODY_MAX, label=_("正文"), widget=forms.Textarea(attrs={"rows": 5}))


class LinkTicketForm(forms.Form):
    number = forms.CharField(label=_("故障工单号"), max_length=32)


class HelpForm(forms.Form):
    """R-HELP: ask for higher support from a visit."""

    asked_of = forms.ChoiceField(label=_("请求对象"), choices=HelpRequest.AskOf.choices)
    question = forms.CharField(label=_("需要的支持"), widget=forms.Textarea(attrs={"rows": 2}))


# --------------------------------------------------------------------------- correspondence (R-VISIT-4)
class CustomerDocumentForm(DocumentForm):
    """R-VISIT-4: a document for the customer outside a visit (a fault explanation letter, a report), on the same
    template → review → send flow; optionally linked to one of the customer's tickets."""

    ticket = forms.IntegerField(widget=forms.HiddenInput, required=False)


class IncomingDocumentForm(forms.Form):
    """R-VISIT-4: a document received from the customer, registered when it arrives."""

    kind = forms.ChoiceField(choices=DocumentKind.choices, label=_("类别"))
    title = forms.CharField(label=_("标题"), max_length=200)
    sender = forms.CharField(label=_("客户发件人"), max_length=120)
    received_at = timebounds.PastDateTimeField(label=_("收到时间"), widget=DateTimeLocal(), initial=timezone.now)
    visit = forms.IntegerField(widget=forms.HiddenInput, required=False)
    ticket = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AcknowledgeForm(forms.Form):
    """R-VISIT-4: how the customer was told their document was received."""

    acknowledgement = forms.CharField(label=_("如何告知客户已收到"), max_length=300,
                                      help_text=_("谁、何时、以何种方式告知客户"))
