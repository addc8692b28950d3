"""One definition per KPI: a KPI declared and registered in one module is served everywhere.

The KPI below is declared here, in the test, and registered the way the modules of
kpis/queries register theirs; nothing else is told about it.
"""

import csv
import io
import json
import sys
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from kpis.columns import count, flag, share, share_figure, wilson_columns
from kpis.dashboard.selectors import headline_figures
from kpis.definition import DOWN, Kpi, Part, Section
from kpis.registry import KPIS, kpi_register, kpi_unregister, kpis_discover
from kpis.report import build_report
from kpis.rollups.specs import specs
from kpis.scope import Scope
from kpis.sources import CONTACTS
from kpis.targets import channel_targets
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

OUTBOUND = Q(direction="outbound")


def outbound_share() -> Kpi:
    """Share of contacts the service started: a KPI as a module of kpis/queries declares it."""
    return Kpi(
        name="outbound_share",
        label=_("Outbound share"),
        description=_("Share of contacts the service started."),
        subject="handling",
        parts=(Part(CONTACTS, {"outbound": Count("id", filter=OUTBOUND)}),),
        columns=(
            count("contacts", _("Contacts")),
            count("outbound", _("Outbound contacts")),
            share("outbound_pct", _("Outbound share (%)"), "outbound", "contacts", good=DOWN),
            *wilson_columns("outbound", _("Outbound share"), "outbound", "contacts"),
            flag("outbound_low_sample", _("Outbound share"), "contacts"),
        ),
        figures=(
            share_figure("outbound", "outbound_pct", "outbound", "contacts", "outbound", True),
        ),
        sections=(Section("outbound_share_overall", "", ("contacts", "outbound")),),
    )


@pytest.fixture
def registered():
    kpi = kpi_register(outbound_share())
    yield kpi
    kpi_unregister(kpi.name)


@pytest.fixture
def history():
    for month, direction in [(2, "inbound"), (3, "outbound"), (3, "inbound"), (3, "inbound")]:
        ContactFactory(direction=direction, started_at=datetime(2024, month, 4, tzinfo=UTC))


def test_a_kpi_registered_in_one_module_is_in_the_report(registered, history):
    report = build_report(date(2024, 3, 1), date(2024, 3, 31))

    table = report["outbound_share_overall"]
    assert table.columns[:3] == ["contacts", "outbound", "outbound_pct"]
    assert table.rows[0][:3] == [3, 1, pytest.approx(100 / 3)]


def test_a_kpi_registered_in_one_module_is_cut_by_the_report_command(registered, history):
    out = io.StringIO()
    call_command(
        "kpi_report", "--from", "2024-02-01", "--to", "2024-03-31", "--by", "month",
        "--kpi", "outbound_share", "--format", "json", stdout=out,
    )  # fmt: skip

    table = json.loads(out.getvalue())["outbound_share_by_month"]
    assert [row[:3] for row in table["rows"]] == [["2024-02-01", 1, 0], ["2024-03-01", 3, 1]]


def test_a_kpi_registered_in_one_module_is_served_and_compared_by_the_api(
    registered, history, quality_manager
):
    response = quality_manager.get(
        "/api/v1/kpis/outbound_share/",
        {"from": "2024-03-01", "to": "2024-03-31", "compare_from": "2024-02-01",
         "compare_to": "2024-02-29"},
    )  # fmt: skip

    body = response.json()
    assert response.status_code == 200
    assert body["columns"][:3] == ["contacts", "outbound", "outbound_pct"]
    comparison = dict(
        zip(body["comparison"]["columns"], body["comparison"]["rows"][0], strict=True)
    )
    assert (comparison["figure"], comparison["difference"]) == (
        "outbound_pct",
        pytest.approx(100 / 3),
    )
    assert comparison["direction"] == "worse"  # more outbound contacts, and lower is better here
    assert comparison["significant"] is False  # one and three contacts: too few to say


def test_a_kpi_registered_in_one_module_is_on_the_dashboard(
    registered, history, manager, django_assert_num_queries
):
    # Two more than without it: one per period, as no rollup holds its count (the others are
    # read together from the rollups when they are built, else from one scan per table). The
    # channels' targets are read once, then cached (kpis.targets).
    channel_targets()
    with django_assert_num_queries(10):
        headlines, _trends = headline_figures(Scope(date(2024, 3, 1), date(2024, 3, 31)))

    outbound = next(h for h in headlines if h.key == "outbound")
    assert (outbound.value, outbound.n, outbound.low_sample) == (pytest.approx(100 / 3), 3, True)
    page = manager.get("/dashboard/?from=2024-03-01&to=2024-03-31", HTTP_ACCEPT_LANGUAGE="en")
    assert "Outbound share" in page.content.decode()


def test_two_kpis_of_one_name_are_refused(registered):
    with pytest.raises(ValueError, match="outbound_share"):
        kpi_register(outbound_share())


def test_a_rolled_up_part_whose_aggregates_the_rollup_lacks_is_refused_loudly():
    kpi = outbound_share()
    rolled = Kpi(**{**kpi.__dict__, "name": "rolled", "parts": (
        Part(CONTACTS, {"outbound": Count("id", filter=OUTBOUND)}, rollup=True),)})  # fmt: skip
    kpi_register(rolled)
    try:
        with pytest.raises(ImproperlyConfigured, match="outbound"):
            specs()
    finally:
        kpi_unregister("rolled")
    assert "outbound" not in specs()["contacts"].measures


def test_every_rolled_up_aggregate_comes_from_a_registered_kpi():
    measures = specs()["tickets"].measures

    assert measures["fcr"] == KPIS["fcr"].parts[0].measures()["fcr"]
    assert set(measures) == {
        "solved", "solved_no_inbound", "solved_with_inbound", "single_inbound", "fcr",
        "recontact_7d", "inbound_contacts", "once_and_done",
    }  # fmt: skip


def test_a_kpi_registered_in_one_module_is_exported_from_the_overview_with_its_labels(
    registered, history, manager
):
    page = manager.get(
        "/dashboard/?from=2024-03-01&to=2024-03-31&channel=phone", HTTP_ACCEPT_LANGUAGE="en"
    )
    links = {label: (c, x) for label, c, x in page.context["kpi_exports"]}
    csv_url, xlsx_url = links["Outbound share"]

    body = manager.get(csv_url, HTTP_ACCEPT_LANGUAGE="en").content.decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(manager.get(xlsx_url, HTTP_ACCEPT_LANGUAGE="en").content))

    assert "channel=phone" in csv_url and "channel=phone" in xlsx_url
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[:4] == [["Outbound share"], ["From March 1, 2024 to March 31, 2024"],
                        ["Channel: Phone"], ["By month"]]  # fmt: skip
    assert rows[4][:4] == ["Month", "Contacts", "Outbound contacts", "Outbound share (%)"]
    assert rows[5][:4] == ["2024-03-01", "3", "1", "33.3"]
    header = next(r for r in sheet.active.values if r[0] == "Month")
    assert header[:4] == ("Month", "Contacts", "Outbound contacts", "Outbound share (%)")


NEW_MODULE = '''
"""A subject's KPIs, as kpis/queries/<subject>.py declares them."""
from kpis.registry import kpi_register
from tests.kpis.test_registry import outbound_share

kpi_register(outbound_share())
'''


def test_a_kpi_in_a_new_module_of_kpis_queries_is_found_with_no_other_file_touched(
    tmp_path, history, manager
):
    import kpis.queries

    (tmp_path / "zz_outbound.py").write_text(NEW_MODULE)
    kpis.queries.__path__.append(str(tmp_path))
    try:
        kpis_discover()  # what KpisConfig.ready() runs at start-up

        report = build_report(date(2024, 3, 1), date(2024, 3, 31))
        api = manager.get(
            "/api/v1/kpis/outbound_share/", {"from": "2024-03-01", "to": "2024-03-31"}
        )
        page = manager.get("/dashboard/?from=2024-03-01&to=2024-03-31", HTTP_ACCEPT_LANGUAGE="en")
    finally:
        kpis.queries.__path__.remove(str(tmp_path))
        kpi_unregister("outbound_share")
        sys.modules.pop("kpis.queries.zz_outbound", None)

    assert report["outbound_share_overall"].rows[0][:2] == [3, 1]
    assert api.status_code == 200 and api.json()["kpi"] == "outbound_share"
    assert "Outbound share" in page.content.decode()
    assert any(label == "Outbound share" for label, _c, _x in page.context["kpi_exports"])
