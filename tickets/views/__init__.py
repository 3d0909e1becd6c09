"""Server-rendered pages: monitoring console, field engineer's phone view, manager's dashboard, ticket page.

Views are thin: they check who may see the page, shape input with a form, call one service and show
its domain error (``supportdesk.core.errors.DomainError``) as a message with the error's HTTP status. A refused
action changes nothing because the service refused it inside its transaction.
"""
from ._common import page
from .field import mine
from .lists import ticket_list
from .manager import dashboard, explanation_release, explanation_review, help_answer
from .monitoring import broadcasts, console, console_queue, create_ticket, customer_options, home, triage
from .ticket import available_actions, broadcast_preview, ticket_action, ticket_detail

__all__ = [
    "available_actions", "broadcast_preview", "broadcasts", "console", "console_queue", "create_ticket",
    "customer_options", "dashboard",
    "explanation_release", "explanation_review", "help_answer", "home", "mine", "page", "ticket_action", "ticket_detail",
    "ticket_list",
    "triage",
]
