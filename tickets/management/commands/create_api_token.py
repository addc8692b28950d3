"""Create an API token for an integration and print it, once: only its digest is kept."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tickets.tokens import api_token_create


class Command(BaseCommand):
    help = "Create an API token for an integration and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="what uses the token, e.g. 'Zendesk sync'")
        parser.add_argument("--user", required=True, help="username of the token's owner")

    def handle(self, *args, name: str, user: str, **options):
        owner = get_user_model().objects.filter(username=user).first()
        if owner is None:
            raise CommandError(_("No user named “%(user)s”.") % {"user": user})
        if not owner.is_active:
            raise CommandError(_("The user “%(user)s” is inactive.") % {"user": user})
        _token, raw = api_token_create(name=name, user=owner)
        self.stderr.write(
            _("Token “%(name)s” for %(user)s. Copy it now: it will not be shown again.")
            % {"name": name, "user": user}
        )
        self.stdout.write(raw)
