"""seed_demo — idempotent demo data: rooms, users of every role, customers of every tier, a NOC token."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from customers.choices import ServiceType, Tier
from customers.models import Circuit, Contact, Customer, Site
from staff.choices import Role, RoomCode
from staff.models import DutyShift, Room, RoomMembership, User, Vendor
from staff.roles import sync_roles
from staff.tokens import ensure_demo_client
from tickets import services
from tickets.models import FaultTicket

DEMO_PASSWORD = "demo-pass-2026"

USERS = [
    # username, family name, given name, role, rooms, vendor
    ("admin", "管", "理员", Role.ADMINISTRATOR, [], None),
    ("monitor1", "王", "监控", Role.MONITORING_OPERATOR, [RoomCode.MONITORING], None),
    ("transport1", "李", "传输", Role.ROOM_ENGINEER, [RoomCode.TRANSPORT], None),
    ("datacom1", "赵", "数据", Role.ROOM_ENGINEER, [RoomCode.DATACOM], None),
    ("core1", "钱", "核心", Role.ROOM_ENGINEER, [RoomCode.CORE], None),
    ("support1", "陈", "支撑", Role.SUPPORT_ENGINEER, [RoomCode.SERVICE_SUPPORT], None),
    ("support2", "刘", "支撑", Role.SUPPORT_ENGINEER, [RoomCode.SERVICE_SUPPORT], None),
    ("manager1", "周", "经理", Role.SUPPORT_MANAGER, [RoomCode.SERVICE_SUPPORT], None),
    ("leader1", "吴", "主任", Role.CENTRE_LEADER, [], None),
    ("vendor1", "郑", "代维", Role.VENDOR_ENGINEER, [], "华为代维服务部"),
]

CUSTOMERS = [
    ("C-DIA-001", "深圳市政务服务数据管理局", Tier.DIAMOND, "福田区深南大道6008号", (22.5431, 114.0579), "黄工", "13902000001",
     [("SZ-DL-0001", ServiceType.DATA_LINE), ("SZ-IL-0002", ServiceType.INTERNET_LINE)]),
    ("C-GLD-001", "招商银行深圳分行", Tier.GOLD, "福田区深南大道7088号", (22.5390, 114.0250), "林工", "13902000002",
     [("SZ-DL-0101", ServiceType.DATA_LINE), ("SZ-TL-0102", ServiceType.TRANSMISSION_LEASE)]),
    ("C-GLD-002", "深圳地铁集团", Tier.GOLD, "福田区福中一路1016号", (22.5435, 114.0600), "何工", "13902000003",
     [("SZ-GP-0111", ServiceType.GPRS), ("SZ-IV-0112", ServiceType.IP_VOICE)]),
    ("C-NOR-001", "顺达物流有限公司", Tier.NORMAL, "宝安区航城大道88号", (22.6050, 113.8400), "孙工", "13902000004",
     [("SZ-IL-0201", ServiceType.INTERNET_LINE), ("SZ-SM-0202", ServiceType.SMS)]),
]


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo data; running it again changes nothing but the duty shift."

    def add_arguments(self, parser):
        parser.add_argument(
            "--i-know-this-is-not-production", action="store_true", dest="not_production",
            help="seed even though DEBUG is off (the demo users share one public password, admin included)",
        )

    @transaction.atomic
    def handle(self, *args, not_production=False, **options):
        if not settings.DEBUG and not not_production:
            raise CommandError(
                "seed_demo creates users with the public demo password (an administrator among them) and refuses "
                "to run with DEBUG off. On a machine that is not production: seed_demo --i-know-this-is-not-production"
            )
        sync_roles()
        for code in RoomCode.values:
            Room.objects.get_or_create(code=code, defaults={"name": RoomCode(code).label, "kind": "professional"})
        Room.objects.filter(phone="").update(phone="0755-88880000")
        users = {}
        for username, family, given, role, rooms, vendor_name in USERS:
            vendor = Vendor.objects.get_or_create(name=vendor_name)[0] if vendor_name else None
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"last_name": family, "first_name": given, "email": f"{username}@supportdesk.local",
                          "phone": "1380000" + str(len(users)).zfill(4), "vendor": vendor},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                if role == Role.ADMINISTRATOR:
                    user.is_staff = user.is_superuser = True
                elif role in (Role.SUPPORT_MANAGER, Role.CENTRE_LEADER, Role.MONITORING_OPERATOR):
                    user.is_staff = True  # may read the admin
                user.save()
            user.groups.add(Group.objects.get(name=role))
            for code in rooms:
                RoomMembership.objects.get_or_create(user=user, room=Room.objects.get(code=code))
            users[username] = user
        now = timezone.now()
        support_room = Room.objects.get(code=RoomCode.SERVICE_SUPPORT)
        if not DutyShift.objects.filter(room=support_room, starts_at__lte=now, ends_at__gt=now).exists():
            DutyShift.objects.create(user=users["support1"], room=support_room,
                                     starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=23))
        for code, name, tier, address, (lat, lon), contact, phone, circuits in CUSTOMERS:
            customer, _ = Customer.objects.get_or_create(code=code, defaults={"name": name, "tier": tier,
                                                                             "account_manager": "客户经理"})
            site, _ = Site.objects.get_or_create(customer=customer, address=address,
                                                 defaults={"name": name, "latitude": lat, "longitude": lon})
            Contact.objects.get_or_create(customer=customer, name=contact, phone=phone)
            for circuit_id, service_type in circuits:
                Circuit.objects.get_or_create(circuit_id=circuit_id, defaults={
                    "customer": customer, "service_type": service_type, "a_site": site, "bandwidth": "100M"})
        token_line = self._noc_token()
        if not FaultTicket.objects.exists():
            self._demo_tickets(now)
        self.stdout.write(f"demo data ready: {User.objects.count()} users (password {DEMO_PASSWORD}), "
                          f"{Customer.objects.count()} customers, {FaultTicket.objects.count()} tickets")
        if token_line:
            self.stdout.write(token_line)

    def _noc_token(self) -> str:
        return ensure_demo_client()

    def _demo_tickets(self, now):
        alarms = [
            ("DEMO-0001", "transmission", "critical", "total", "SZ-DL-0001", "STM-1 端口3 LOS", 70),
            ("DEMO-0002", "datacom", "major", "partial", "SZ-DL-0101", "PE 路由器 BGP 邻居中断", 20),
            ("DEMO-0003", "other", "minor", "partial", "SZ-IL-0201", "互联网专线丢包", 10),
            ("DEMO-0004", "transmission", "major", "total", "SZ-UNKNOWN-9", "未知电路告警", 5),
        ]
        for alarm_id, category, severity, outage, circuit, title, minutes in alarms:
            services.ingest_alarm(alarm=services.AlarmIn(
                alarm_id=alarm_id, category=category, severity=severity, outage=outage, circuit_id=circuit,
                title=title, raised_at=now - timedelta(minutes=minutes), source="demo",
                payload={"alarm_id": alarm_id, "circuit_id": circuit}), via="demo")
