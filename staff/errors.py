"""The sentences people read when a help request is refused (R-HELP; ``supportdesk.core.errors``)."""
from django.utils.translation import gettext_lazy as _

from supportdesk.core.errors import register_field_labels, register_messages

MESSAGES = {
    "help_question_required": _("请说明需要什么支持。"),
    "help_no_room": _("您不属于任何室，请向中心领导求助。"),
    "help_request_not_found": _("这条求助不存在，可能已被删除。"),
    "help_not_addressed": _("这条求助不是发给您的，您不能答复（R-HELP）。"),
    "help_already_answered": _("这条求助已经答复过了。"),
    "help_answer_required": _("请填写答复内容。"),
}

FIELD_LABELS = {
    "asked_of": _("求助对象"),
    "subject_kind": _("求助事项"),
    "question": _("需要的支持"),
    "request": _("求助"),
    "answer": _("答复"),
}


def register() -> None:
    register_messages(MESSAGES)
    register_field_labels(FIELD_LABELS)
