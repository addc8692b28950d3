"""Create an API token for an integration and print it, once: only its digest is kept."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tickets.tokens import TokenScope, api_token_create


class Command(BaseCommand):
    help = "Create an API token for an integration and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="what uses the token, e.g. 'Zendesk sync'")
        parser.add_argument("--user", required=True, help="username of the token's owner")
        parser.add_argument(
            "--scope",
            dest="scopes",
            action="append",
            choices=TokenScope.values,
            default=[],
            help="what the token may do (repeat for several); a token has none unless given",
        )

    def handle(self, *args, name: str, user: str, scopes: list[str], **options):
        owner = get_user_model().objects.filter(username=user).first()
        if owner is None:
            raise CommandError(_("No user named “%(user)s”.") % {"user": user})
        if not owner.is_active:
            raise CommandError(_("The user “%(user)s” is inactive.") % {"user": user})
        _token, raw = api_token_create(name=name, user=owner, scopes=scopes)
        self.stderr.write(
            _("Token “%(name)s” for %(user)s. Copy it now: it will not be shown again.")
            % {"name": name, "user": user}
        )
        if not scopes:
            self.stderr.write(_("It has no scope: it can do nothing until scopes are given."))
        self.stdout.write(raw)
