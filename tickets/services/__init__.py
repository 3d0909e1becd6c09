"""The verbs of the ticket domain: the only door to a write (views, API, tasks and commands call these)."""
from .customer import record_customer_update
from .explanations import approve_explanation, draft_explanation, release_explanation, review_explanation
from .ingest import (
    AlarmIn,
    IngestResult,
    clear_alarm,
    create_ticket,
    ingest_alarm,
    match_customer,
    open_ticket,
    override_lead_room,
    validate_alarm,
)
from .onsite import (
    add_site_member,
    assign_vendor,
    designate_site_lead,
    flag_expedite,
    preview_manual_broadcast,
    publish_manual_broadcast,
    record_arrival,
    record_dial_test,
    record_phone_call,
    record_pre_arrival,
    record_site_lead_exception,
)
from .transitions import (
    accept,
    add_joint_room,
    add_progress,
    cancel,
    close,
    confirm_cause,
    dispatch,
    refail,
    reopen,
    resolve,
    restore,
    start_joint,
)

TRANSITIONS = {
    "dispatch": dispatch,
    "accept": accept,
    "start_joint": start_joint,
    "restore": restore,
    "resolve": resolve,
    "close": close,
    "cancel": cancel,
    "reopen": reopen,
    "refail": refail,
}

__all__ = [
    "AlarmIn", "IngestResult", "TRANSITIONS", "accept", "add_progress", "add_site_member", "approve_explanation",
    "assign_vendor", "cancel", "clear_alarm", "close", "create_ticket", "designate_site_lead", "dispatch",
    "draft_explanation", "flag_expedite", "ingest_alarm", "match_customer", "open_ticket", "override_lead_room",
    "preview_manual_broadcast", "publish_manual_broadcast", "record_arrival", "refail", "add_joint_room", "confirm_cause",
    "record_site_lead_exception", "record_customer_update", "record_dial_test", "record_phone_call", "record_pre_arrival",
    "release_explanation", "reopen", "resolve", "restore", "review_explanation", "start_joint", "validate_alarm",
]
