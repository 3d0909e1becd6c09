"""factory-boy factories for every model (tests build data through these)."""
from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from customers import models as cm
from customers.choices import ServiceType, Tier
from staff.choices import Role, RoomCode, RoomKind
from staff.models import DutyShift, Room, RoomMembership, User, Vendor, WebhookEndpoint
from tickets import models as m
from tickets.choices import AlarmCategory, DeadlineKind, ExplanationState, Outage, Severity, TicketState


def room(code: str) -> Room:
    """Rooms are created by the migration; fetch one by its code."""
    kind = {"monitoring": RoomKind.MONITORING, "service_support": RoomKind.SUPPORT}.get(code, RoomKind.PROFESSIONAL)
    obj, _ = Room.objects.get_or_create(code=code, defaults={"name": code, "kind": kind})
    return obj


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"代维厂家{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "工程师"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    phone = "13800000000"
    password = factory.django.Password("pass-1234-word")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(Group.objects.get_or_create(name=role)[0])

    @factory.post_generation
    def room_codes(self, create, extracted, **kwargs):
        for code in extracted or ():
            RoomMembership.objects.get_or_create(user=self, room=room(code))


def person(role: str, *room_codes: str, **kwargs) -> User:
    """A user with one role and their rooms, permissions fresh."""
    user = UserFactory(roles=[role], room_codes=list(room_codes), **kwargs)
    return User.objects.get(pk=user.pk)  # drop cached permissions


def monitoring_operator(**kw):
    return person(Role.MONITORING_OPERATOR, RoomCode.MONITORING, **kw)


def support_engineer(**kw):
    return person(Role.SUPPORT_ENGINEER, RoomCode.SERVICE_SUPPORT, **kw)


def room_engineer(code=RoomCode.TRANSPORT, **kw):
    return person(Role.ROOM_ENGINEER, code, **kw)


def support_manager(**kw):
    return person(Role.SUPPORT_MANAGER, RoomCode.SERVICE_SUPPORT, **kw)


def centre_leader(**kw):
    return person(Role.CENTRE_LEADER, **kw)


def vendor_engineer(vendor=None, **kw):
    return person(Role.VENDOR_ENGINEER, vendor=vendor or VendorFactory(), **kw)


class RoomMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomMembership

    user = factory.SubFactory(UserFactory)
    room = factory.LazyFunction(lambda: room(RoomCode.SERVICE_SUPPORT))


class DutyShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DutyShift

    user = factory.SubFactory(UserFactory)
    room = factory.LazyFunction(lambda: room(RoomCode.SERVICE_SUPPORT))
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=4))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=4))


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    name = factory.Sequence(lambda n: f"hook{n}")
    url = "http://127.0.0.1:9/hook"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Customer

    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"集团客户{n}")
    tier = Tier.GOLD


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Contact

    customer = factory.SubFactory(CustomerFactory)
    name = "张工"
    phone = factory.Sequence(lambda n: f"1390000{n:04d}")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Site

    customer = factory.SubFactory(CustomerFactory)
    address = factory.Sequence(lambda n: f"深圳市福田区深南大道{n}号")
    latitude = "22.540000"
    longitude = "114.050000"


class CircuitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Circuit

    circuit_id = factory.Sequence(lambda n: f"SZ-DL-{n:05d}")
    customer = factory.SubFactory(CustomerFactory)
    service_type = ServiceType.DATA_LINE
    a_site = factory.SubFactory(SiteFactory, customer=factory.SelfAttribute("..customer"))


class EscalationPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.EscalationPolicy
        django_get_or_create = ("tier",)

    tier = Tier.GOLD
    important = True
    joint_after = timedelta(hours=1)
    arrival_after = timedelta(hours=2)
    broadcast_every = timedelta(hours=1)
    site_lead_on_total_outage = True
    site_lead_on_any_fault = False
    explanation_required_to_close = True


class TicketFactory(factory.django.DjangoModelFactory):
    """A bare ticket row (no deadlines, no events): for selectors and admin. Services make real ones."""

    class Meta:
        model = m.FaultTicket

    number = factory.Sequence(lambda n: f"FT-T-{n:06d}")
    title = "LOS on STM-1 port 3"
    customer = factory.SubFactory(CustomerFactory)
    circuit = factory.SubFactory(CircuitFactory, customer=factory.SelfAttribute("..customer"))
    circuit_ref = factory.LazyAttribute(lambda o: o.circuit.circuit_id if o.circuit else None)
    tier = factory.LazyAttribute(lambda o: o.customer.tier if o.customer else Tier.NORMAL)
    important = factory.LazyAttribute(lambda o: o.tier in (Tier.DIAMOND, Tier.GOLD))
    category = AlarmCategory.TRANSMISSION
    severity = Severity.CRITICAL
    outage = Outage.TOTAL
    lead_room = factory.LazyFunction(lambda: room(RoomCode.TRANSPORT))
    occurred_at = factory.LazyFunction(timezone.now)
    state = TicketState.NEW
    policy = factory.LazyAttribute(
        lambda o: cm.EscalationPolicy.objects.get(tier=o.tier).snapshot()
    )


class TicketRoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.TicketRoom

    ticket = factory.SubFactory(TicketFactory)
    room = factory.LazyFunction(lambda: room(RoomCode.SERVICE_SUPPORT))
    role = "support"


class AlarmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Alarm

    alarm_id = factory.Sequence(lambda n: f"NMS-T-{n:07d}")
    ticket = factory.SubFactory(TicketFactory)
    category = AlarmCategory.TRANSMISSION
    severity = Severity.CRITICAL
    outage = Outage.TOTAL
    circuit_ref = factory.LazyAttribute(lambda o: o.ticket.circuit_ref or "SZ-UNKNOWN")
    title = "LOS"
    raised_at = factory.LazyFunction(timezone.now)
    payload = factory.LazyAttribute(lambda o: {"alarm_id": o.alarm_id})


class DeadlineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Deadline

    ticket = factory.SubFactory(TicketFactory)
    kind = DeadlineKind.JOINT_HANDLING
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class EscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Escalation

    ticket = factory.SubFactory(TicketFactory)
    kind = "joint_handling"
    rule = "R-ESC-1"
    reason = "1 h"


class BroadcastFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Broadcast

    ticket = factory.SubFactory(TicketFactory)
    seq = factory.Sequence(lambda n: n + 1)
    kind = "scheduled"
    body = "信息发布"


class ArrivalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Arrival

    ticket = factory.SubFactory(TicketFactory)
    room = factory.LazyFunction(lambda: room(RoomCode.SERVICE_SUPPORT))
    user = factory.SubFactory(UserFactory)
    site_kind = "customer"


class ProgressNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ProgressNote

    ticket = factory.SubFactory(TicketFactory)
    room = factory.LazyFunction(lambda: room(RoomCode.TRANSPORT))
    text = "正在定位"


class PhoneNotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PhoneNotification

    ticket = factory.SubFactory(TicketFactory)
    room = factory.LazyFunction(lambda: room(RoomCode.SERVICE_SUPPORT))


class DialTestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.DialTest

    ticket = factory.SubFactory(TicketFactory)
    result = "fail"


class ExplanationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Explanation

    ticket = factory.SubFactory(TicketFactory)
    text = "光缆被施工挖断，已熔接恢复。"
    drafted_by = factory.SubFactory(UserFactory)
    state = ExplanationState.DRAFT


class TicketEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.TicketEvent

    ticket = factory.SubFactory(TicketFactory)
    actor_label = "system"
    kind = "created"


class PreArrivalCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PreArrivalCheck

    ticket = factory.SubFactory(TicketFactory)
    engineer = factory.SubFactory(UserFactory)
    contact_name = "张工"
    contact_phone = "13900000000"


class SiteMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SiteMember

    ticket = factory.SubFactory(TicketFactory)
    user = factory.SubFactory(UserFactory)
