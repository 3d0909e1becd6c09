"""Reference data every installation has: the rooms of CONTRACT.md and the tier policies of SPEC §3.3."""
from datetime import timedelta

ROOMS = [
    ("monitoring", "监控室", "monitoring"),
    ("service_support", "服务支撑室", "support"),
    ("transport", "传送网室", "professional"),
    ("datacom", "数据网室", "professional"),
    ("core", "核心网室", "professional"),
    ("wireless", "无线网室", "professional"),
    ("power", "动力环境室", "professional"),
]

POLICIES = {
    "diamond": dict(important=True, joint_after=timedelta(hours=1), arrival_after=timedelta(hours=2),
                    broadcast_every=timedelta(hours=1), site_lead_on_total_outage=True,
                    site_lead_on_any_fault=True, explanation_required_to_close=True),
    "gold": dict(important=True, joint_after=timedelta(hours=1), arrival_after=timedelta(hours=2),
                 broadcast_every=timedelta(hours=1), site_lead_on_total_outage=True,
                 site_lead_on_any_fault=False, explanation_required_to_close=True),
    "normal": dict(important=False, joint_after=timedelta(hours=3), arrival_after=None,
                   broadcast_every=timedelta(hours=1), site_lead_on_total_outage=False,
                   site_lead_on_any_fault=False, explanation_required_to_close=False),
}


def ensure(room_model=None, policy_model=None) -> None:
    if room_model is None:
        from staff.models import Room as room_model
        from customers.models import EscalationPolicy as policy_model
    for code, name, kind in ROOMS:
        room = room_model.objects.filter(code=code).first()
        if room is None:
            room_model.objects.create(code=code, name=name, kind=kind)
        elif room.name == code:  # made in a hurry by a test factory: give it its real name and kind
            room_model.objects.filter(pk=room.pk).update(name=name, kind=kind)
    for tier, values in POLICIES.items():
        policy_model.objects.get_or_create(tier=tier, defaults=values)
