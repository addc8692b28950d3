"""`manage.py demo_setup`: sample history, the survey loop and a login per role for
`make demo`; safe to run again."""

import logging
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kpis.demo import (
    DEMO_CONTACTS,
    DEMO_MONTHS,
    demo_login_ensure,
    demo_loop_ensure,
    history_load_sample,
)


class Command(BaseCommand):
    help = _("Load a sample history (when there is none), start the survey loop, create logins.")

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=DEMO_CONTACTS)
        parser.add_argument("--months", type=int, default=DEMO_MONTHS)

    def handle(self, *args, **options):
        with _quiet_logs():
            self._setup(options)

    def _setup(self, options) -> None:
        counts = history_load_sample(options["contacts"], options["months"], stdout=self.stdout)
        if counts is None:
            self.stdout.write(_("The database already holds history: nothing loaded."))
        else:
            self.stdout.write(
                _("Loaded a sample history: %(contacts)s contacts, %(tickets)s tickets.")
                % {"contacts": counts["contacts.csv"], "tickets": counts["tickets.csv"]}
            )
        loop = demo_loop_ensure(options["months"])
        self.stdout.write(_("Active policies: %(names)s.") % {"names": ", ".join(loop.policies)})
        self.stdout.write(
            _("Surveys of the last days: %(decided)s decided, %(sent)s sent to the mailbox.")
            % loop.surveys
        )
        login = demo_login_ensure()
        self._logins(login, loop)

    def _logins(self, login, loop) -> None:
        site = settings.SITE_URL
        rule = "=" * 72
        self.stdout.write(rule)
        if login.password:
            self.stdout.write(self.style.SUCCESS(_("Quality manager and administrator:")))
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
        if any(role.created for role in loop.logins):
            self.stdout.write(
                self.style.SUCCESS(
                    _("Team leads and agents (password of the new ones: %(password)s):")
                    % {"password": loop.password}
                )
            )
        else:
            self.stdout.write(_("Team leads and agents (their passwords are unchanged):"))
        for role in loop.logins:
            what = _("team lead") if role.role == "lead" else _("agent")
            self.stdout.write(f"  {role.username:<26} {what:<14} {role.email}")
        self.stdout.write(_("  Log in at %(url)s") % {"url": f"{site}/accounts/login/"})
        self.stdout.write(
            _("  The surveys sent: %(url)s (as the quality manager)")
            % {"url": f"{site}/surveys/demo-mailbox/"}
        )
        self.stdout.write(rule)


@contextmanager
def _quiet_logs():
    """The eager Celery tasks log a line per alert and survey sent: dozens of lines above the
    logins a newcomer looks for. Warnings and errors still show."""
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)
