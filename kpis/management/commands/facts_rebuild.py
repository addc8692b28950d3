"""`facts_rebuild [--restart]`: recompute the facts with the settings in force, then the rollups."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from tqdm import tqdm

from kpis.rollups.build import rollups_rebuild
from tickets.facts_state import facts_rebuild


class Command(BaseCommand):
    help = gettext_lazy(
        "Recompute every contact's and ticket's repeat and re-contact facts with FCR_WINDOW_DAYS,"
        " then every rollup. Resumes an interrupted run unless --restart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--restart", action="store_true", help=gettext_lazy("do not resume: start over")
        )

    def handle(self, *args: Any, restart: bool = False, **options: Any) -> None:
        out = getattr(self.stdout, "_out", self.stdout)
        with tqdm(desc=_("facts"), unit=_(" customers"), file=out, mininterval=1) as bar:

            def customers(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            facts_rebuild(restart=restart, progress=customers)
        with tqdm(desc=_("rollups"), unit=_(" days"), file=out, mininterval=1) as bar:

            def days(first: Any, last: Any, through: Any) -> None:
                bar.total = (last - first).days + 1
                bar.update((through - first).days + 1 - bar.n)

            rollups_rebuild(resume=not restart, progress=days)
        self.stdout.write(self.style.SUCCESS(_("Facts and rollups are current.")))
