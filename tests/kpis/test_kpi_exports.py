"""A KPI's table as a file: every filter of the page kept and named, labels as headers, figures
rounded as shown, yes/no for flags; the JSON keeps the codes."""

import csv
import io
from datetime import UTC, datetime
from typing import cast

import pytest
from openpyxl import load_workbook

from surveys.models import Response
from tests.factories import AgentFactory, ContactFactory, TeamFactory
from tickets.models import Contact, ContactReason

pytestmark = pytest.mark.django_db

CSAT_FR = "CSAT (satisfaits, %)"
SEGMENT = "channel=click_to_call&team=lyon&agent=a1&reason=delivery"
PAGE = "/dashboard/?from=2024-03-01&to=2024-03-31&" + SEGMENT


@pytest.fixture
def history():
    ContactReason.objects.create(code="delivery", label_fr="Livraison", label_en="Delivery")
    agent = AgentFactory(external_id="a1", name="Alice", team=TeamFactory(external_id="lyon"))
    for i, score in enumerate([5, 4, 2]):
        contact = cast(Contact, ContactFactory(
            channel="click_to_call", reason="delivery", agent=agent,
            started_at=datetime(2024, 3, 4 + i, 9, tzinfo=UTC),
        ))  # fmt: skip
        Response.objects.create(
            contact=contact, ticket=contact.ticket, kind="csat", score=score,
            scale_min=1, scale_max=5, responded_at=datetime(2024, 3, 4 + i, 10, tzinfo=UTC),
        )  # fmt: skip
    ContactFactory(channel="phone", started_at=datetime(2024, 3, 4, 9, tzinfo=UTC))  # filtered out


def _satisfaction_links(manager, language: str) -> tuple[str, str]:
    page = manager.get(PAGE, HTTP_ACCEPT_LANGUAGE=language)
    return next((c, x) for label, c, x in page.context["kpi_exports"] if "/satisfaction/" in c)


def test_the_overviews_kpi_export_keeps_every_filter_and_names_them(manager, history):
    csv_url, xlsx_url = _satisfaction_links(manager, "fr")
    for name in ("channel=click_to_call", "team=lyon", "agent=a1", "reason=delivery"):
        assert name in csv_url and name in xlsx_url

    response = manager.get(csv_url, HTTP_ACCEPT_LANGUAGE="fr")

    name = response["Content-Disposition"]
    assert "satisfaction-2024-03-01-2024-03-31" in name and "click_to_call" in name
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[:7] == [
        "Satisfaction", "Du 1 mars 2024 au 31 mars 2024", "Canal : Click-to-call",
        "Équipe : lyon", "Conseiller : Alice", "Motif de contact : Livraison", "Par mois",
    ]  # fmt: skip
    body = "\n".join(lines)
    assert "click_to_call" not in body and "delivery" not in body
    (march,) = csv.DictReader(io.StringIO("\n".join(lines[7:])), delimiter=";")
    assert march["Mois"] == "2024-03-01"
    assert march[CSAT_FR] == "66,7"  # two of three, to the page's one decimal
    assert march["CSAT : petit échantillon"] == "oui"


def test_the_xlsx_has_typed_rounded_cells_and_the_json_keeps_codes(manager, history):
    _csv_url, xlsx_url = _satisfaction_links(manager, "en")

    sheet = load_workbook(
        io.BytesIO(manager.get(xlsx_url, HTTP_ACCEPT_LANGUAGE="en").content)
    ).active
    json = manager.get(xlsx_url.replace("export=xlsx", "by=channel"), HTTP_ACCEPT_LANGUAGE="en")

    values = list(sheet.values)
    header = next(i for i, row in enumerate(values) if row[0] == "Month")
    assert "Channel: Click to call" in [row[0] for row in values[:header]]
    columns = values[header]
    march = sheet[header + 2]
    csat = march[columns.index("CSAT (satisfied, %)")]
    assert (csat.data_type, csat.value, csat.number_format) == ("n", 66.7, "0.0")
    assert march[0].is_date and march[0].number_format == "yyyy-mm-dd"
    assert march[columns.index("CSAT: small sample")].value == "yes"
    body = json.json()
    assert body["filters"]["channel"] == "click_to_call"
    assert body["columns"][1] == "channel" and body["rows"][0][1] == "click_to_call"
