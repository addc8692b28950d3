from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from connectors.models import Source
from connectors.processing import payloads_process
from connectors.pull import RateLimited, source_sync, streams_of


class Command(BaseCommand):
    help = _("Pull a helpdesk's exports from where the last pull stopped (e.g. Zendesk's).")

    def add_arguments(self, parser):
        parser.add_argument("source", help=_("The source's webhook name (its slug)."))
        parser.add_argument(
            "--process",
            action="store_true",
            help=_("Record the pages here and now instead of leaving them to the workers."),
        )

    def handle(self, *args, source: str, process: bool, **options):
        found = Source.objects.filter(slug=source).first()
        if found is None:
            raise CommandError(_("No source named “%(slug)s”.") % {"slug": source})
        if not found.base_url or not streams_of(found):
            raise CommandError(_("This source has nothing to pull (helpdesk address, kind)."))
        try:
            pages = source_sync(found)
        except RateLimited as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("%(pages)d pages stored.") % {"pages": pages})
        if process:
            count = payloads_process()
            self.stdout.write(_("%(count)d bodies processed.") % {"count": count})
