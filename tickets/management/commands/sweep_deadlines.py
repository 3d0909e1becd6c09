from django.core.management.base import BaseCommand

from tickets.services.escalation import sweep


class Command(BaseCommand):
    help = "Run one deadline sweep now (the same code the Celery beat schedule runs) and print a summary."

    def handle(self, *args, **options):
        summary = sweep(origin="command")
        self.stdout.write(f"sweep: {summary.line()}")
