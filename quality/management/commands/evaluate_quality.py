from django.core.management.base import BaseCommand

from quality.services import evaluate


class Command(BaseCommand):
    help = "Run one evaluation of the quality warnings now (the same code beat runs) and print a one-line summary."

    def handle(self, *args, **options):
        self.stdout.write(evaluate().line())
