"""`manage.py demo_setup`: sample history and a login for `make demo`; safe to run again."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kpis.demo import DEMO_CONTACTS, DEMO_MONTHS, demo_login_ensure, history_load_sample


class Command(BaseCommand):
    help = _("Load a sample history (when there is none) and create the demo login.")

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=DEMO_CONTACTS)
        parser.add_argument("--months", type=int, default=DEMO_MONTHS)

    def handle(self, *args, **options):
        counts = history_load_sample(options["contacts"], options["months"], stdout=self.stdout)
        if counts is None:
            self.stdout.write(_("The database already holds history: nothing loaded."))
        else:
            self.stdout.write(
                _("Loaded a sample history: %(contacts)s contacts, %(tickets)s tickets.")
                % {"contacts": counts["contacts.csv"], "tickets": counts["tickets.csv"]}
            )
        login = demo_login_ensure()
        rule = "=" * 64
        self.stdout.write(rule)
        if login.password:
            self.stdout.write(self.style.SUCCESS(_("Demo login created:")))
            self.stdout.write(_("  username: %(username)s") % {"username": login.username})
            self.stdout.write(_("  password: %(password)s") % {"password": login.password})
        else:
            self.stdout.write(
                _("The login “%(username)s” already exists; its password is unchanged.")
                % {"username": login.username}
            )
            self.stdout.write(
                _("To set a new one: .venv/bin/python manage.py changepassword %(username)s")
                % {"username": login.username}
            )
        self.stdout.write(_("  Log in at http://127.0.0.1:8000/accounts/login/"))
        self.stdout.write(rule)
