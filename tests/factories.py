"""factory-boy factories for rows that need no rule: people, rooms, customers, circuits, and bare ticket rows
for selectors. A ticket that must be real (deadlines, events, rooms) comes from ``tests.builders``."""
from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from customers import models as cm
from customers.choices import ServiceType, Tier
from staff.choices import Role, RoomCode, RoomKind
from staff.models import DutyShift, Room, RoomMembership, User, Vendor, WebhookEndpoint
from tickets import models as m
from tickets.choices import AlarmCategory, Outage, Severity, TicketState


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
