"""`manage.py demo_setup`: history once, one login, safe to run again."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db.models import Q
from django.utils import translation

from surveys.models import DETRACTOR_MAX, FollowUp, Response
from tickets.labels import reason_label
from tickets.models import Agent, Contact, ContactReason, Ticket

pytestmark = pytest.mark.django_db


def _setup() -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("demo_setup", "--contacts", "300", "--months", "1", stdout=out)
    return out.getvalue()


def test_demo_setup_loads_a_history_ending_today_and_prints_the_login():
    output = _setup()

    admin = User.objects.get(username="admin")
    password = output.split("password: ", 1)[1].split()[0]
    assert admin.is_superuser and admin.check_password(password)
    assert admin.groups.filter(name="quality_managers").exists() == (
        Group.objects.filter(name="quality_managers").exists()
    )
    assert 200 < Contact.objects.count() < 400
    assert Ticket.objects.exists() and Response.objects.exists()


def test_running_demo_setup_again_changes_nothing():
    _setup()
    counts = (Contact.objects.count(), Ticket.objects.count(), Response.objects.count())
    password = User.objects.get(username="admin").password

    output = _setup()

    assert (Contact.objects.count(), Ticket.objects.count(), Response.objects.count()) == counts
    assert User.objects.get(username="admin").password == password
    assert "changepassword admin" in output
    assert "password: " not in output


def test_the_demo_names_its_reasons_in_french_and_english():
    _setup()

    reasons = ContactReason.objects.filter(code__in=Contact.objects.values("reason"))
    assert reasons.exists()
    for reason in reasons:
        assert reason.code not in (reason.label_fr, reason.label_en)
    with translation.override("fr"):
        assert reason_label("account_access") == "Accès au compte"
    with translation.override("en"):
        assert reason_label("account_access") == "Account access"


def test_the_demo_names_its_agents_and_opens_a_follow_up_for_every_detractor():
    _setup()

    agents = Agent.objects.all()
    assert agents.exists() and not agents.filter(name="").exists()
    assert len({a.name for a in agents}) == agents.count()
    detractor = Q()
    for kind, highest in DETRACTOR_MAX.items():
        detractor |= Q(kind=kind, score__lte=highest)
    detractors = Response.objects.filter(detractor)
    assert detractors.exists()
    assert not detractors.filter(follow_up__isnull=True).exists()
    assert FollowUp.objects.filter(team__isnull=False, status="open").exists()
