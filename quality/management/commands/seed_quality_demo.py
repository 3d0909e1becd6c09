"""Demo performance series for ``make run``: two days of 5-minute samples on the demo's leased lines."""
import math
import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from customers.models import Circuit
from quality.choices import LEASED_LINES
from quality.models import DialTarget
from quality.services import ingest_samples

BASE = {"latency_ms": 12.0, "jitter_ms": 2.0, "loss_pct": 0.05, "util_in_pct": 35.0, "util_out_pct": 25.0,
        "errored_seconds": 0.0}
SWING = {"latency_ms": 4.0, "jitter_ms": 1.0, "loss_pct": 0.05, "util_in_pct": 30.0, "util_out_pct": 20.0,
         "errored_seconds": 0.0}


class Command(BaseCommand):
    help = "Idempotent demo performance series (two days, 5-minute) on up to 10 demo leased lines."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=2)

    def handle(self, *args, days, **options):
        circuits = list(Circuit.objects.filter(service_type__in=LEASED_LINES).order_by("pk")[:10])
        end = timezone.now().replace(second=0, microsecond=0)
        end -= timedelta(minutes=end.minute % 5)
        n = days * 288
        accepted = duplicates = 0
        for c in circuits:
            rng = random.Random(c.circuit_id)
            batch = []
            for k in range(n):
                at = end - timedelta(minutes=5 * (n - 1 - k))
                phase = math.sin((timezone.localtime(at).hour - 9) / 24 * 2 * math.pi)
                for code, base in BASE.items():
                    value = max(0.0, base + SWING[code] * phase + rng.gauss(0, SWING[code] / 8 + 0.01))
                    batch.append({"circuit_id": c.circuit_id, "indicator": code, "at": at.isoformat(),
                                  "value": round(value, 3)})
            for i in range(0, len(batch), 10_000):
                outcome = ingest_samples(samples=batch[i:i + 10_000])
                accepted += outcome.accepted
                duplicates += outcome.duplicates
            DialTarget.objects.get_or_create(circuit=c, defaults={"module": "tcp_connect", "target": "127.0.0.1:8000"})
        self.stdout.write(f"quality demo: {len(circuits)} circuits, {accepted} samples stored, {duplicates} already there")
