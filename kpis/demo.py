"""`make demo`: a few months of sample history ending today, and a login to look at it.

Idempotent: a database that already holds history is left as it is, and an existing `admin`
login is kept (its password is never printed again; `changepassword` resets it).
"""

import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import transaction

from tickets.models import Contact
from tickets.permissions import QUALITY_MANAGERS_GROUP
from tickets.sample_history import history_generate, months_after

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
    return counts


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
