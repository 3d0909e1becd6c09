"""Reading new samples safely by id.

Ids come from a sequence, so a transaction can commit id 105 while id 104 is still in flight; a reader that
moved its watermark to 105 would never see 104. On PostgreSQL every sample insert holds a *shared* transaction
advisory lock, and a reader takes the *exclusive* one for an instant to read ``max(id)``: at that moment no insert
is in flight, so every id up to that bound is committed. SQLite writes one transaction at a time anyway.
"""
from django.db import connection, transaction
from django.db.models import Max

SAMPLE_WRITE_LOCK = 0x51A17  # arbitrary, fixed: the advisory lock key of sample inserts


def hold_write_lock() -> None:
    """Inside the inserting transaction: a shared lock, so readers can wait for in-flight inserts."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [SAMPLE_WRITE_LOCK])


def committed_bound() -> int:
    """The highest sample id below which every sample is committed."""
    from ..models import Sample

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SAMPLE_WRITE_LOCK])
        return Sample.objects.aggregate(m=Max("id"))["m"] or 0
