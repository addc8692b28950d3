"""Cost per contact type from each team's rates, and the outsourcer's invoice against history."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.factories import ContactFactory
from tickets.models import Team
from workforce.costs import cost_per_contact, invoice_check
from workforce.models import Invoice, TeamWorkforce

MARCH = datetime(2024, 3, 5, 10, tzinfo=UTC)


def handled(team, external_id="", seconds=600, **fields):
    extra = {"external_id": external_id} if external_id else {}
    return ContactFactory(
        team=team, started_at=MARCH, answered_at=MARCH, handle_seconds=seconds, **extra, **fields
    )


@pytest.mark.django_db
def test_a_contact_type_costs_its_handle_time_at_each_teams_rate_or_price():
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

    [row] = cost_per_contact(date(2024, 3, 1), date(2024, 3, 31))

    assert (row["handled"], row["costed"], row["uncosted"]) == (4, 3, 1)
    assert row["aht_seconds"] == 750
    assert row["cost_per_contact"] == Decimal("7.33")  # (6 + 12 + 4) / 3


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
