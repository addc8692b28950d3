"""Print every KPI for a period: `manage.py kpi_report --from 2024-01-01 --to 2024-12-31`."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kpis import render
from kpis.registry import KPIS
from kpis.report import build_report
from kpis.scope import DIMENSIONS, Scope, ScopeError


class Command(BaseCommand):
    help = "Print the KPIs of a period as a table, JSON (as the reference's expected.json) or CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument(
            "--by",
            default=None,
            help="cut every KPI by these, e.g. month,channel (day, week, month, "
            + ", ".join(DIMENSIONS)
            + "); without it, the reference's sections",
        )
        parser.add_argument(
            "--kpi", action="append", choices=sorted(KPIS), help="only this KPI (repeatable)"
        )
        for name in DIMENSIONS:
            parser.add_argument(f"--{name}", help=f"only this {name} (comma-separated list)")
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")
        parser.add_argument(
            "--extras", action="store_true", help="show intervals and flags in the table"
        )

    def handle(self, *args: object, **options: object) -> None:
        filters = {n: str(options[n]) for n in DIMENSIONS if options.get(n)}
        try:
            scope = Scope.parse(str(options["start"]), str(options["end"]), filters=filters)
            report = build_report(
                scope.start,
                scope.end,
                options["by"],
                options["kpi"],
                filters,  # type: ignore[arg-type]
            )
        except ScopeError as exc:
            raise CommandError(str(exc)) from exc
        fmt = options["format"]
        if fmt == "json":
            self.stdout.write(render.as_json(report))
        elif fmt == "csv":
            self.stdout.write(render.as_csv(report), ending="")
        else:
            self.stdout.write(render.as_text(report, extras=bool(options["extras"])), ending="")
