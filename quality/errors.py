"""The sentences people read when a dial test is refused (R-QUAL-DIAL; ``supportdesk.core.errors``)."""
from django.utils.translation import gettext_lazy as _

from supportdesk.core.errors import register_messages

MESSAGES = {
    "prober_not_configured": _("未配置拨测探针，请联系系统管理员。"),
    "no_dial_target": _("电路 %(circuit)s 未配置拨测目标。"),
    "prober_no_answer": _("拨测探针无应答，请稍后重试。"),
}


def register() -> None:
    register_messages(MESSAGES)
