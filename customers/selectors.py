"""The reads about customers, their circuits and the tier policies (pages, API, services)."""
from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from supportdesk.core.refcache import Reference

from .choices import TIER_RANK, Tier
from .models import Customer, EscalationPolicy


def tier_rank(field: str = "tier") -> Case:
    """Diamond first, then gold, then normal (an annotation usable on any model with a tier)."""
    return Case(*[When(**{field: t}, then=Value(r)) for t, r in TIER_RANK.items()], default=Value(9),
                output_field=IntegerField())


def customers_for_choice() -> QuerySet:
    """Customers for a select box: important tiers first, then by code."""
    return Customer.objects.annotate(tier_rank=tier_rank()).order_by("tier_rank", "code")


def customer_suggestions(text: str = "", limit: int = 50) -> list[Customer]:
    """Customers a person typing ``text`` may mean: code starting with it or name containing it (any case), important
    tiers first, then by code; with nothing typed, the first of every customer in that order. At most ``limit``: a
    page suggests, it never lists every customer."""
    qs = customers_for_choice()
    text = text.strip()
    if text:
        qs = qs.filter(Q(code__istartswith=text) | Q(name__icontains=text))
    return list(qs[:limit])


def customer_codes(limit: int = 2000) -> list[tuple[str, str]]:
    """(code, name) of customers, by code, for a form's suggestion list."""
    return list(Customer.objects.order_by("code").values_list("code", "name")[:limit])


_POLICIES = Reference(lambda: {p.tier: p for p in EscalationPolicy.objects.all()}, EscalationPolicy)


def policy_for(tier: str) -> EscalationPolicy:
    """The tier's escalation policy (docs/rules.md §3.3); the defaults if an administrator removed the row.
    Kept in the process (``supportdesk.core.refcache``): a new alarm does not read it again."""
    policy = _POLICIES.get().get(tier)
    if policy is None:
        policy, _ = EscalationPolicy.objects.get_or_create(tier=tier, defaults=EscalationPolicy.DEFAULTS[Tier(tier)])
    return policy
