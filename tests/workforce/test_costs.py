"""Cost per contact type from each team's rates, and the outsourcer's invoice against history."""

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from tests.factories import ContactFactory
from tickets.models import Team
from workforce.costs import invoice_check
from workforce.models import Invoice, TeamWorkforce

MARCH = datetime(2024, 3, 5, 10, tzinfo=UTC)


def handled(team, external_id="", seconds=600, **fields):
    extra = {"external_id": external_id} if external_id else {}
    return ContactFactory(
        team=team, started_at=MARCH, answered_at=MARCH, handle_seconds=seconds, **extra, **fields
    )


@pytest.fixture
def priced_types(db):
    """One billing phone type handled by three teams: by the hour, by the contact, unpriced."""
    inhouse = Team.objects.create(external_id=f"t{Team.objects.count()}")
    outsourced = Team.objects.create(external_id=f"t{Team.objects.count()}")
    unpriced = Team.objects.create(external_id=f"t{Team.objects.count()}")
    TeamWorkforce.objects.create(team=inhouse, cost_per_agent_hour=Decimal("36.00"))
    TeamWorkforce.objects.create(team=outsourced, outsourced=True, price_per_contact=Decimal("4"))
    kind = {"reason": "billing", "channel": "phone", "direction": "inbound"}
    handled(inhouse, seconds=600, **kind)  # 10 min at 36 an hour: 6.00
    handled(inhouse, seconds=1200, **kind)  # 12.00
    handled(outsourced, seconds=300, **kind)  # 4.00 whatever its time
    handled(unpriced, seconds=900, **kind)  # no rate: not costed
    handled(inhouse, seconds=3600, reason="billing", channel="phone", direction="outbound")


def test_kpi_report_prices_each_contact_type_at_each_teams_rate_or_price(priced_types):
    out = io.StringIO()
    call_command(
        "kpi_report", "--from", "2024-03-01", "--to", "2024-03-31", "--kpi", "contact_cost",
        "--format", "json", stdout=out,
    )  # fmt: skip

    report = json.loads(out.getvalue())
    rows = records(report["contact_cost_by_type"])
    inbound = next(r for r in rows if r["direction"] == "inbound")
    outbound = next(r for r in rows if r["direction"] == "outbound")
    assert (inbound["reason"], inbound["channel"]) == ("billing", "phone")
    assert (inbound["handled"], inbound["costed"], inbound["uncosted"]) == (4, 3, 1)
    assert inbound["aht_seconds"] == 750
    assert inbound["cost_per_contact"] == 7.33  # (6 + 12 + 4) / 3
    assert outbound["cost_per_contact"] == 36.0  # an hour at 36, apart from the inbound type
    assert [r["channel"] for r in records(report["contact_cost_by_channel"])] == ["phone"] * 2


def test_the_kpi_api_and_its_csv_give_the_cost_per_type_with_labels(priced_types, quality_manager):
    params = {"from": "2024-03-01", "to": "2024-03-31", "by": "channel"}
    url = "/api/v1/kpis/contact_cost/"

    body = quality_manager.get(url, params).json()
    exported = quality_manager.get(url, {**params, "export": "csv"}, HTTP_ACCEPT_LANGUAGE="en")

    inbound = next(r for r in records(body) if r["direction"] == "inbound")
    assert (inbound["channel"], inbound["cost_per_contact"], inbound["costed"]) == (
        "phone",
        7.33,
        3,
    )
    text = exported.content.decode("utf-8-sig")
    assert "Inbound (the customer reaches out)" in text
    assert "Cost per contact (EUR)" in text  # the currency the rates are entered in
    assert ",inbound" not in text and ";inbound" not in text


def test_the_cost_header_names_the_currency_the_rates_are_entered_in(
    priced_types, quality_manager, settings
):
    settings.COST_CURRENCY = "CHF"
    params = {"from": "2024-03-01", "to": "2024-03-31", "by": "channel", "export": "csv"}

    exported = quality_manager.get("/api/v1/kpis/contact_cost/", params, HTTP_ACCEPT_LANGUAGE="fr")

    assert "Coût par contact (CHF)" in exported.content.decode("utf-8-sig")


def records(table):
    return [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]


@pytest.mark.django_db
def test_the_invoice_check_lists_one_contact_missing_from_history_and_one_not_invoiced():
    team = Team.objects.create(external_id=f"t{Team.objects.count()}")
    for external_id in ("c1", "c2", "c3"):
        handled(team, external_id)
    invoice = Invoice.objects.create(
        team=team, month=date(2024, 3, 17), contacts=3, contact_ids="c1\nc2\nc9\n"
    )

    check = invoice_check(invoice)

    assert (check.handled, check.difference) == (3, 0)
    assert check.not_in_history == ["c9"]
    assert check.not_invoiced == ["c3"]
