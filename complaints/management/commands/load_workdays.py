from django.core.management.base import BaseCommand, CommandError

from supportdesk.core.errors import DomainError

from ...choices import CalendarSource
from ...models import CalendarYear
from ...services.calendar import library_years, load_official_file, load_year_from_library


class Command(BaseCommand):
    help = (
        "R-CMP-WORKDAY: load the working calendar. --year Y loads Y from chinese-calendar; --file F loads an "
        "official schedule (CSV date,is_working,reason listing holidays and make-up working days); with neither, "
        "every year the library knows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="a year chinese-calendar knows (repeatable)")
        parser.add_argument("--file", help="CSV of the official schedule of one year (date,is_working,reason)")
        parser.add_argument("--force", action="store_true", help="replace a year the administrator entered")

    def handle(self, *args, year=None, file=None, force=False, **options):
        try:
            if file:
                results = [load_official_file(path=file)]
            else:
                years = year or library_years()
                if not year and not force:
                    # every library year, but never over a year the administrator entered
                    admin_years = set(CalendarYear.objects.filter(source=CalendarSource.ADMIN).values_list("year", flat=True))
                    years = [y for y in years if y not in admin_years]
                results = [load_year_from_library(year=y, replace_admin=force) for y in years]
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(f"file: {exc}") from exc
        for result in results:
            self.stdout.write(f"workdays {result.line()}")
