"""Forms of the complaint pages: shape input for one service call each."""
from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Channel, ComplaintCategory, CustomerReaction, Finding, Importance, RouteCode


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _blank(choices, label):
    return [("", label)] + list(choices)


class ComplaintForm(forms.Form):
    """Taking a complaint by phone (or from a visit): R-CMP-FLOW."""

    customer_code = forms.CharField(label=_("客户编码"), max_length=32,
                                    widget=forms.TextInput(attrs={"list": "customer-codes", "autocomplete": "off"}))
    circuit_id = forms.CharField(label=_("电路编号"), max_length=64, required=False)
    category = forms.ChoiceField(label=_("投诉类别"), choices=ComplaintCategory.choices)
    description = forms.CharField(label=_("投诉内容"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False,
                                    widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices, initial=Channel.PHONE)
    received_at = forms.DateTimeField(label=_("受理时间"), widget=DateTimeLocal(), initial=timezone.now)
    importance = forms.ChoiceField(label=_("重要程度"), choices=_blank(Importance.choices, _("按客户级别")),
                                   required=False)
    complaint_id = forms.CharField(label=_("客服工单号"), max_length=64, required=False,
                                   help_text=_("客服部门派来的投诉填写其工单号"))


class SortForm(forms.Form):
    route_to = forms.ChoiceField(label=_("责任室/部门"), choices=_blank(RouteCode.choices, "—"))
    importance = forms.ChoiceField(label=_("重要程度"), choices=_blank(Importance.choices, _("不变")), required=False)


class AnalyseForm(forms.Form):
    finding = forms.ChoiceField(label=_("定位结论"), choices=_blank(Finding.choices, "—"))
    note = forms.CharField(label=_("分析说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           max_length=2000)
    other_department = forms.BooleanField(label=_("需其他部门出方案"), required=False)


class HandleForm(forms.Form):
    note = forms.CharField(label=_("处理说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           max_length=2000)


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("回复内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    customer_reaction = forms.ChoiceField(label=_("客户评价"), choices=_blank(CustomerReaction.choices, _("尚未评价")),
                                          required=False)


class CloseForm(forms.Form):
    opinion = forms.CharField(label=_("明确的处理意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                              help_text=_("重复投诉关闭前须填写"))


class ReopenForm(forms.Form):
    note = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=500)


class OpinionForm(forms.Form):
    opinion = forms.CharField(label=_("明确的处理意见"), widget=forms.Textarea(attrs={"rows": 3}))


class ReactionForm(forms.Form):
    """R-CMP-LOOP: the customer's confirmation or dissatisfaction, given after the reply."""

    customer_reaction = forms.ChoiceField(label=_("客户评价"), choices=_blank(CustomerReaction.choices, "—"))
