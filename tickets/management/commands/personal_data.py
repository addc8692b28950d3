"""`personal_data export CUSTOMER_ID [--output FILE]`, `personal_data erase CUSTOMER_ID --yes`."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.models import Customer
from tickets.personal_data import customer_erase, customer_export


class Command(BaseCommand):
    help = gettext_lazy(
        "Export everything held about a customer as JSON, or erase their personal data (the "
        "figures stay, anonymous)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("customer", help=gettext_lazy("The customer's id in the helpdesk."))
        parser.add_argument(
            "--output", type=Path, help=gettext_lazy("export: write to this file, not stdout.")
        )
        parser.add_argument(
            "--yes", action="store_true", help=gettext_lazy("erase: confirm; it cannot be undone.")
        )

    def handle(self, action: str, customer: str, output: Path | None, yes: bool, **options):
        found = Customer.objects.filter(external_id=customer).first()
        if found is None:
            raise CommandError(_("No customer has the id “%(id)s”.") % {"id": customer})
        if action == "export":
            text = json.dumps(customer_export(found), cls=DjangoJSONEncoder, indent=2)
            if output is None:
                self.stdout.write(text)
            else:
                output.write_text(text + "\n", encoding="utf-8")
                self.stderr.write(_("Written to %(path)s.") % {"path": output})
            return
        if not yes:
            raise CommandError(
                _("Erasing cannot be undone: run it again with --yes to erase “%(id)s”.")
                % {"id": customer}
            )
        changed = customer_erase(found)
        self.stdout.write(
            _("Erased: the customer is now “%(id)s”; rows changed: %(rows)s.")
            % {
                "id": found.external_id,
                "rows": ", ".join(f"{name} {n}" for name, n in changed.items()),
            }
        )
