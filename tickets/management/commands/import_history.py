from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.importing import HistoryImportError
from tickets.importing.console import import_with_console


class Command(BaseCommand):
    help = gettext_lazy(
        "Import a ticket history directory: contacts.csv and tickets.csv, and responses.csv, "
        "agent_ratings.csv, repeat_reasons.csv when present. All or nothing, unless "
        "--skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help=gettext_lazy("Import the valid rows and list the rejected ones in a CSV report."),
        )
        parser.add_argument(
            "--report", type=Path, help=gettext_lazy("Where --skip-invalid writes its report.")
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=gettext_lazy(
                "Read every row even when the files are the ones imported last (by digest)."
            ),
        )

    def handle(
        self, directory: Path, skip_invalid: bool, report: Path | None, force: bool, **options
    ):
        if report and not skip_invalid:
            raise CommandError(_("--report goes with --skip-invalid."))
        out = getattr(self.stdout, "_out", self.stdout)
        try:
            summary = import_with_console(
                directory, out, skip_invalid=skip_invalid, report=report, force=force
            )
        except HistoryImportError as exc:
            nothing = _("Nothing was imported.")
            raise CommandError(f"{exc}\n{nothing}") from exc
        self.stdout.write(summary)
