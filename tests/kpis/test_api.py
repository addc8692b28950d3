"""KPI API: who may read it, what it answers, and its CSV/XLSX exports."""

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from surveys.models import Response
from tests.factories import AgentFactory, ContactFactory

URL = "/api/v1/kpis/{}/"
PERIOD = {"from": "2024-03-01", "to": "2024-03-31"}


@pytest.fixture
def history(db):
    for i, (channel, score) in enumerate([("phone", 5), ("phone", 2), ("email", 4)]):
        contact = ContactFactory(
            channel=channel,
            agent=AgentFactory(external_id=str(i + 1)),
            started_at=datetime(2024, 3, 4, 9, tzinfo=UTC),
        )
        Response.objects.create(
            contact=contact, ticket=contact.ticket, kind="csat", score=score,
            scale_min=1, scale_max=5, responded_at=datetime(2024, 3, 4, 10, tzinfo=UTC),
        )  # fmt: skip


@pytest.mark.parametrize("persona", ["quality_manager", "integration", "staff"])
def test_quality_managers_and_integrations_read_kpis(request, persona, history):
    client = request.getfixturevalue(persona)

    response = client.get(URL.format("satisfaction"), {**PERIOD, "by": "channel"})

    assert response.status_code == 200
    body = response.json()
    rows = [dict(zip(body["columns"], row, strict=True)) for row in body["rows"]]
    assert [(r["channel"], r["csat_n"], r["csat_pct"]) for r in rows] == [
        ("email", 1, 100.0),
        ("phone", 2, 50.0),
    ]
    assert rows[0]["csat_low_sample"] is True
    assert body["min_sample"] == 30


@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 403), ("agent", 403), ("anonymous", 401)]
)
def test_others_are_refused(request, persona, status, history):
    client = request.getfixturevalue(persona)

    response = client.get(URL.format("satisfaction"), PERIOD)

    assert response.status_code == status
    assert "rows" not in response.json()


def test_a_period_is_cut_by_granularity_and_agent_ids_that_are_numbers_come_as_numbers(
    quality_manager, history
):
    response = quality_manager.get(
        URL.format("satisfaction"), {**PERIOD, "granularity": "week", "by": "agent"}
    )

    body = response.json()
    assert body["columns"][:2] == ["week", "agent_id"]
    assert [row[:2] for row in body["rows"] if row[2] or row[4]] == [
        ["2024-03-04", 1],
        ["2024-03-04", 2],
        ["2024-03-04", 3],
    ]


def test_filters_keep_only_the_asked_channel(quality_manager, history):
    response = quality_manager.get(URL.format("satisfaction"), {**PERIOD, "channel": "phone"})

    body = response.json()
    assert body["rows"][0][body["columns"].index("csat_n")] == 2
    assert body["filters"] == {"channel": "phone"}


def test_a_comparison_names_its_test_and_says_whether_the_change_is_significant(
    quality_manager, history
):
    response = quality_manager.get(
        URL.format("satisfaction"),
        {**PERIOD, "compare_from": "2024-02-01", "compare_to": "2024-02-29"},
    )

    comparison = response.json()["comparison"]
    assert comparison["columns"][:3] == ["figure", "test", "difference"]
    assert [row[0] for row in comparison["rows"]] == ["nps", "csat_pct", "ces_mean"]
    significant = comparison["columns"].index("significant")
    assert all(row[significant] is False for row in comparison["rows"])


def test_a_segment_can_be_compared_with_another_in_the_same_period(quality_manager, history):
    response = quality_manager.get(
        URL.format("satisfaction"), {**PERIOD, "channel": "phone", "compare_channel": "email"}
    )

    comparison = response.json()["comparison"]
    csat = dict(zip(comparison["columns"], comparison["rows"][1], strict=True))
    assert (csat["figure"], csat["difference"]) == ("csat_pct", -50.0)  # phone 50 % vs email 100 %
    assert csat["significant"] is False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2024-03-01"}, "to"),
        ({**PERIOD, "by": "colour"}, "by"),
        ({**PERIOD, "granularity": "year"}, "granularity"),
        ({"from": "2024-03-31", "to": "2024-03-01"}, "to"),
        ({**PERIOD, "compare_from": "2024-02-01"}, "compare_to"),
    ],
)
def test_bad_parameters_get_a_400_naming_the_field(quality_manager, params, field):
    response = quality_manager.get(URL.format("fcr"), params)

    assert response.status_code == 400
    assert field in response.json()


def test_an_unknown_kpi_is_a_404(quality_manager):
    assert quality_manager.get(URL.format("happiness"), PERIOD).status_code == 404


def test_a_breakdown_exports_as_csv_with_labels_in_the_pages_language(quality_manager, history):
    params = {**PERIOD, "by": "channel", "export": "csv"}

    response = quality_manager.get(URL.format("satisfaction"), params, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="satisfaction-2024-03-01-2024-03-31.csv"' in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[:3] == ["Satisfaction", "Du 1 mars 2024 au 31 mars 2024", "Par canal"]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[3:])), delimiter=";"))
    assert [(r["Canal"], r["CSAT (satisfaits, %)"]) for r in rows] == [
        ("E-mail", "100,0"),
        ("Téléphone", "50,0"),
    ]


def test_a_breakdown_exports_as_xlsx_with_typed_cells(quality_manager, history):
    params = {**PERIOD, "by": "agent", "export": "xlsx"}

    response = quality_manager.get(URL.format("repeat"), params, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    header = values.index(next(v for v in values if v[0] == "Agent"))
    assert values[header][:3] == ("Agent", "Inbound contacts", "Followed by a repeat contact")
    assert [row[0] for row in values[header + 1 :]] == ["1", "2", "3"]
    counts = sheet.cell(row=header + 2, column=2)
    assert (counts.data_type, counts.value, counts.number_format) == ("n", 1, "0")


def test_outsiders_cannot_export(outsider, history):
    response = outsider.get(URL.format("satisfaction"), {**PERIOD, "export": "csv"})

    assert response.status_code == 403


def test_the_kpi_endpoint_is_in_the_openapi_schema(staff):
    response = staff.get("/api/schema/", {"format": "json"})

    path = response.json()["paths"]["/api/v1/kpis/{name}/"]["get"]
    names = {p["name"] for p in path["parameters"]}
    assert {"from", "to", "granularity", "by", "channel", "agent", "export"} <= names
