"""import_customers FILE.csv — upsert customers and circuits, all or nothing (CONTRACT.md)."""
from __future__ import annotations

import csv
import sys

from django.core.management.base import BaseCommand
from django.db import transaction

from customers.choices import ServiceType, Tier
from customers.models import Circuit, Contact, Customer, Site

COLUMNS = ["code", "name", "tier", "circuit_id", "service_type", "address", "contact_name", "contact_phone"]
REQUIRED = ["code", "name", "tier", "circuit_id", "service_type"]


class ImportFailed(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def parse(rows) -> list[tuple[int, dict]]:
    """Check every row; return them with their line numbers, or raise ImportFailed naming each bad line."""
    errors: list[str] = []
    reader = csv.DictReader(rows)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportFailed([f"line 1: header lacks {', '.join(missing)} (expected {','.join(COLUMNS)})"])
    reader.fieldnames = header
    parsed: list[tuple[int, dict]] = []
    customers: dict[str, tuple[str, str, int]] = {}
    circuits: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if None in raw or None in raw.values():
            fields = len(header) + len(raw[None]) if None in raw else sum(v is not None for v in raw.values())
            errors.append(f"line {line}: {fields} fields, expected {len(header)}")
            continue
        row = {k: (v or "").strip() for k, v in raw.items() if k in COLUMNS}
        if not any(row.values()):
            continue
        problems = [f"{c} is empty" for c in REQUIRED if not row.get(c)]
        problems += [f"{c} holds a NUL character" for c, v in row.items() if "\x00" in v]
        if row.get("tier") and row["tier"] not in Tier.values:
            problems.append(f"tier {row['tier']!r} is not one of {'|'.join(Tier.values)}")
        if row.get("service_type") and row["service_type"] not in ServiceType.values:
            problems.append(f"service_type {row['service_type']!r} is not one of {'|'.join(ServiceType.values)}")
        for name, limit in (("code", 32), ("name", 200), ("circuit_id", 64), ("address", 300),
                            ("contact_name", 64), ("contact_phone", 32)):
            if len(row.get(name, "")) > limit:
                problems.append(f"{name} is longer than {limit} characters")
        if bool(row.get("contact_name")) != bool(row.get("contact_phone")):
            problems.append("contact_name and contact_phone go together")
        code = row.get("code")
        if code and code in customers and not problems:
            name, tier, first = customers[code]
            if (row["name"], row["tier"]) != (name, tier):
                problems.append(f"customer {code} has another name or tier than on line {first}")
        circuit = row.get("circuit_id")
        if circuit and circuit in circuits:
            problems.append(f"circuit_id {circuit} repeats line {circuits[circuit]}")
        if problems:
            errors.append(f"line {line}: {'; '.join(problems)}")
            continue
        customers.setdefault(code, (row["name"], row["tier"], line))
        circuits[circuit] = line
        parsed.append((line, row))
    if errors:
        raise ImportFailed(errors)
    return parsed


def _upsert(model, lookup: dict, values: dict) -> tuple[object, str]:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), "created"
    changed = [k for k, v in values.items() if getattr(obj, k if not hasattr(v, "pk") else f"{k}_id") != (
        v.pk if hasattr(v, "pk") else v)]
    if changed:
        for k in changed:
            setattr(obj, k, values[k])
        obj.save(update_fields=changed)
        return obj, "updated"
    return obj, "unchanged"


@transaction.atomic
def load(parsed: list[tuple[int, dict]]) -> dict[str, int]:
    counts: dict[str, int] = {}

    def count(kind, outcome):
        counts[f"{kind}_{outcome}"] = counts.get(f"{kind}_{outcome}", 0) + 1

    errors = []
    seen: set[str] = set()
    for line, row in parsed:
        customer, outcome = _upsert(Customer, {"code": row["code"]}, {"name": row["name"], "tier": row["tier"]})
        if row["code"] not in seen:
            seen.add(row["code"])
            count("customers", outcome)
        site = None
        if row["address"]:
            site, _ = Site.objects.get_or_create(customer=customer, address=row["address"])
        if row["contact_name"]:
            Contact.objects.get_or_create(customer=customer, name=row["contact_name"], phone=row["contact_phone"])
        existing = Circuit.objects.filter(circuit_id=row["circuit_id"]).select_related("customer").first()
        if existing is not None and existing.customer_id != customer.pk:
            errors.append(f"line {line}: circuit_id {row['circuit_id']} belongs to customer {existing.customer.code}")
            continue
        values = {"customer": customer, "service_type": row["service_type"]}
        if site is not None:
            values["a_site"] = site
        _, outcome = _upsert(Circuit, {"circuit_id": row["circuit_id"]}, values)
        count("circuits", outcome)
    if errors:
        raise ImportFailed(errors)
    return counts


class Command(BaseCommand):
    help = "Upsert customers and circuits from a CSV file (all or nothing; errors as 'line N: ...')."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                parsed = parse(handle)
            counts = load(parsed)
        except FileNotFoundError:
            self.stderr.write(f"{file}: no such file")
            sys.exit(1)
        except UnicodeDecodeError as exc:
            self.stderr.write(f"{file}: not UTF-8 ({exc.reason} at byte {exc.start})")
            sys.exit(1)
        except ImportFailed as exc:
            for error in exc.errors:
                self.stderr.write(error)
            self.stderr.write("nothing was imported")
            sys.exit(1)
        summary = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in sorted(counts.items())) or "no rows"
        self.stdout.write(f"imported {len(parsed)} rows ({summary})")
