"""Write a sample ticket history as CSV files: `manage.py generate_history OUT_DIR`."""

import time
from datetime import date, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tickets.sample_history import DEFAULT_CONTACTS, history_generate


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("Not a date (YYYY-MM-DD): %(value)s") % {"value": value}) from exc


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            _("Not a date and time (ISO 8601): %(value)s") % {"value": value}
        ) from exc
    if moment.tzinfo is None:
        raise CommandError(_("Give the snapshot time a zone, e.g. 2025-07-01T00:00:00Z."))
    return moment


class Command(BaseCommand):
    help = _(
        "Write a simulated customer-service history (contacts, tickets, survey responses, agent "
        "ratings, repeat reasons) as CSV files in the import format."
    )

    def add_arguments(self, parser):
        parser.add_argument("out_dir", type=Path, help=_("folder to write the five CSV files in"))
        parser.add_argument(
            "--contacts", type=int, default=DEFAULT_CONTACTS, help=_("about how many contacts")
        )
        parser.add_argument("--seed", type=int, default=1, help=_("same seed, same files"))
        parser.add_argument(
            "--start", type=_date, default=date(2025, 1, 1), help=_("first day, YYYY-MM-DD")
        )
        parser.add_argument("--months", type=int, default=6, help=_("length of the history"))
        parser.add_argument(
            "--snapshot",
            type=_moment,
            default=None,
            help=_("nothing after this time (ISO 8601 with a zone); default: the end"),
        )

    def handle(self, *args, **options):
        if options["contacts"] < 1 or options["months"] < 1:
            raise CommandError(_("--contacts and --months must be at least 1."))
        began = time.perf_counter()
        counts = history_generate(
            options["out_dir"],
            contacts=options["contacts"],
            seed=options["seed"],
            start=options["start"],
            months=options["months"],
            snapshot=options["snapshot"],
        )
        seconds = time.perf_counter() - began
        for name, n in counts.items():
            self.stdout.write(f"{name}: {n}")
        self.stdout.write(
            _("Wrote %(dir)s in %(seconds).1f s.") % {"dir": options["out_dir"], "seconds": seconds}
        )
