"""`make demo`: a few months of sample history ending today, and logins to look at it.

The whole loop: customers and agents with names, one active policy per kind, the surveys of
the last days sent to the demo's mailbox, follow-ups for every detractor of the sample history
(the import opens them for the last 2 weeks only, which a demo's few answers leave to one or two
teams: every lead should find a list to work on), and a login per role (the admin, a lead and
an agent per team).

Idempotent: a database that already holds history is left as it is, and existing logins are
kept (their password is never printed again; `changepassword` resets it).
"""

import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import transaction

from surveys.demo import demo_policies_ensure, demo_surveys_send
from surveys.followups import followups_raise_for_imported
from tickets.labels import labels_forget
from tickets.models import Contact, ContactReason
from tickets.permissions import QUALITY_MANAGERS_GROUP
from tickets.sample_history import history_generate, months_after
from tickets.sample_history.profile import REASON_LABELS

from .demo_people import (
    RoleLogin,
    agents_name,
    customers_details_fill,
    demo_password,
    role_logins_ensure,
    teams_with_leads_ensure,
)

DEMO_USERNAME = "admin"
DEMO_CONTACTS = 4000
DEMO_MONTHS = 4


@dataclass
class DemoLogin:
    username: str
    password: str | None  # None: the login already existed, its password is unchanged


def history_load_sample(
    contacts: int = DEMO_CONTACTS, months: int = DEMO_MONTHS, stdout=None
) -> dict[str, int] | None:
    """Generate and import a sample history ending now, unless there is history already."""
    if Contact.objects.exists():
        return None
    # Before the import: its follow-ups alert the teams' leads.
    teams_with_leads_ensure()
    now = datetime.now(UTC)
    tomorrow = now.date() + timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="ecoute-demo-") as folder:
        counts = history_generate(
            Path(folder),
            contacts=contacts,
            start=months_after(tomorrow, -months),
            months=months,
            snapshot=now,
        )
        call_command("import_history", folder, stdout=stdout)
    reasons_name()
    return counts


def reasons_name() -> None:
    """Give the sample's reasons their French and English labels (the import files them under
    their codes), so that no page shows `account_access`."""
    for code, (french, english) in REASON_LABELS.items():
        unnamed = ContactReason.objects.filter(code=code, label_fr=code, label_en=code)
        unnamed.update(label_fr=french, label_en=english)
    labels_forget()


@transaction.atomic
def demo_login_ensure() -> DemoLogin:
    """The demo superuser, in the quality managers' group; created with a random password."""
    user = User.objects.filter(username=DEMO_USERNAME).first()
    password = None
    if user is None:
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(DEMO_USERNAME, "admin@example.com", password)
    group = Group.objects.filter(name=QUALITY_MANAGERS_GROUP).first()
    if group is not None:
        user.groups.add(group)
    return DemoLogin(DEMO_USERNAME, password)


@dataclass
class DemoLoop:
    """What the demo set up around the history, for the terminal."""

    customers: int
    follow_ups: int
    policies: list[str]
    surveys: dict[str, int]
    password: str
    logins: list[RoleLogin]


def demo_loop_ensure(months: int = DEMO_MONTHS) -> DemoLoop:
    """Everything after the history: people, policies, recent surveys sent to the mailbox."""
    customers = customers_details_fill()
    agents_name()
    follow_ups = followups_raise_for_imported(recent=timedelta(days=31 * months))
    policies = [policy.name for policy in demo_policies_ensure()]
    surveys = demo_surveys_send()
    password = demo_password()
    logins = role_logins_ensure(password)
    return DemoLoop(customers, follow_ups, policies, surveys, password, logins)
