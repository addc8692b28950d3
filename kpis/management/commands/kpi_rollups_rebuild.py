"""`kpi_rollups_rebuild [--from YYYY-MM-DD --to YYYY-MM-DD] [--restart]`: rebuild the rollups."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kpis.rollups.build import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the per-day KPI rollups: every day of the history (resuming an interrupted "
        "build unless --restart), or the local days --from..--to."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", help="first local day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", help="last local day, YYYY-MM-DD")
        parser.add_argument("--restart", action="store_true", help="do not resume: start over")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = _day(options["first"]), _day(options["last"])

        def progress(a: date, b: date, through: date) -> None:
            share = ((through - a).days + 1) / ((b - a).days + 1)
            self.stdout.write(f"{through.isoformat()}  {share:6.1%}")

        days = rollups_rebuild(first, last, resume=not options["restart"], progress=progress)
        self.stdout.write(self.style.SUCCESS(f"{days} days rebuilt."))


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text} is not a date (YYYY-MM-DD).") from None
