"""Sector figures beside the team's own: seeded with their source and year, editable in the
admin, shown on the overview's panels in French and English."""

from datetime import UTC, date, datetime
from importlib import import_module
from typing import cast

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.utils import translation

from kpis.dashboard.selectors import overview_data
from kpis.references import Measure, Reference, SectorReference, reference
from kpis.scope import Scope
from surveys.models import RepeatCause, Reporter
from tests.factories import ContactFactory
from tickets.models import Contact
from tickets.permissions import QUALITY_MANAGERS_GROUP

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _published():
    """The figures as migrated (a test that flushes the database empties the table)."""
    import_module("kpis.migrations.0006_sector_references").published_figures(apps, None)


MARCH = Scope(date(2024, 3, 1), date(2024, 3, 31))


def _reference(measure: str, subject: str = "") -> Reference:
    found = reference(measure, subject)
    assert found is not None, (measure, subject)
    return found


def test_the_published_figures_are_seeded_with_their_source_and_year():
    fcr = _reference(Measure.FCR)
    causes = {r.subject: r.value for r in SectorReference.objects.filter(measure="repeat_cause")}

    assert (fcr.value, fcr.value_high, fcr.year) == (75, 85, 2016)
    assert "Easiware" in fcr.source
    assert _reference(Measure.EXCHANGES).value == 2.75
    assert causes == {
        "not_taken_into_account": 29, "answer_raised_new_questions": 18,
        "wrong_department": 16, "unclear_answer": 12,
    }  # fmt: skip
    assert _reference(Measure.REPEAT_CAUSE, "wrong_department").source == "BVA"
    assert _reference(Measure.ANSWER_TIME, "phone").value == 30
    assert _reference(Measure.ANSWER_TIME, "twitter").value == 3600


def test_the_cause_panel_shows_the_teams_distribution_beside_the_sectors():
    contact = cast(Contact, ContactFactory(started_at=datetime(2024, 3, 4, tzinfo=UTC)))
    RepeatCause.objects.create(
        contact=contact, reporter=Reporter.CUSTOMER, code="wrong_department",
        answered_at=datetime(2024, 3, 5, tzinfo=UTC),
    )  # fmt: skip

    with translation.override("en"):
        repeat = next(p for p in overview_data(MARCH).panels if p.id == "repeat")

    causes = next(c for c in repeat.charts if c.id == "chart-causes")
    sector = next(s for s in causes.series if "BVA" in s.label)
    by_cause = dict(zip(causes.labels, sector.values, strict=True))
    team = dict(zip(causes.labels, causes.series[0].values, strict=True))
    assert (
        team["I was sent to the wrong department"],
        by_cause["I was sent to the wrong department"],
    ) == (100.0, 16)
    table = next(t for t in repeat.tables if t.id == "table-causes")
    assert "BVA" in table.headers[-1]


def test_an_edited_reference_shows_on_the_overview_in_each_language(client):
    user = User.objects.create_user("qm", password=None)
    user.groups.add(Group.objects.get_or_create(name=QUALITY_MANAGERS_GROUP)[0])
    client.force_login(user)
    SectorReference.objects.filter(measure="fcr").update(value=70, value_high=80, year=2024)
    url = "/dashboard/?from=2024-03-01&to=2024-03-31"

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Sector: FCR target 70-80 % (Easiware, 2024)" in english
    assert "Secteur" in french and "70-80 %" in french
