"""One panel per dimension of the service, built from the KPI tables of the period.

Each builder takes KPI tables already computed by the selector (so that the selector alone
decides what is read, and how often) and returns the panel's charts and tables, every point and
row linking to the list behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from surveys.models import RepeatCauseCode
from tickets.labels import channel_label, reason_label

from ..queries.backlog import AGE_BUCKETS
from ..queries.base import Table, low_sample
from ..queries.workload import abandonment_threshold
from ..references import Measure, Reference, reference, sector_references
from ..scope import Scope
from ..targets import channel_targets
from .charts import Chart, Series, TableData, count, interval, month_label, number, text
from .links import drill, drill_month


@dataclass
class Panel:
    id: str
    title: str
    intro: str = ""
    charts: list[Chart] = field(default_factory=list)
    tables: list[TableData] = field(default_factory=list)
    empty: bool = False
    references: list[str] = field(default_factory=list)  # sector figures, with their source


def _sector(what: str, ref: Reference | None, unit: str = "", digits: int = 0) -> list[str]:
    """ "Sector: <what> <figure> (source, year)", or nothing when no reference is held."""
    if ref is None:
        return []
    return [
        _("Sector: %(what)s %(figure)s (%(source)s)")
        % {"what": what, "figure": ref.shown(unit, digits), "source": ref.cited}
    ]


def _reference_lines(ref: Reference | None, label: str, unit: str = "") -> list[dict[str, Any]]:
    """A sector figure (each end of a range) as a reference line of a chart; its source is in
    the panel's references, under its title."""
    if ref is None:
        return []
    ends = [ref.value] if ref.value_high is None else [ref.value, ref.value_high]
    return [
        {
            "value": v,
            "label": _("%(label)s: %(value)s")
            % {"label": label, "value": number_format(v, 0 if float(v).is_integer() else 2) + unit},
            "reference": True,
        }
        for v in ends
    ]


def _months(table: Table) -> list[dict[str, Any]]:
    return [r for r in table.records() if r.get("month") is not None]


def satisfaction_panel(scope: Scope, monthly: Table) -> Panel:
    rows = _months(monthly)
    labels = [month_label(r["month"]) for r in rows]
    charts = []
    for key, title, unit, low, high, n, kind, bounds in [
        ("nps", _("NPS"), "", "nps_ci_low", "nps_ci_high", "nps_n", "nps", (-100, 100)),
        ("csat_pct", _("CSAT"), "%", "csat_ci_low", "csat_ci_high", "csat_n", "csat", (0, 100)),
        ("ces_mean", _("CES (1-7)"), "", "ces_ci_low", "ces_ci_high", "ces_n", "ces", (1, 7)),
    ]:
        links = [drill_month(scope, "answers", r["month"], kind=kind) for r in rows]
        series = Series(
            title, [r[key] for r in rows], [r[n] for r in rows],
            [_clamp(r[low], bounds) for r in rows], [_clamp(r[high], bounds) for r in rows],
            links,
        )  # fmt: skip
        # xgettext:no-python-format
        axis = {"nps": _("NPS (-100 to 100)"), "csat": _("% satisfied (4-5 of 5)")}.get(
            kind, _("Mean effort score (7 = easiest)")
        )
        charts.append(Chart(f"chart-{kind}", title, "line", unit, axis, labels, [series], *bounds))
    table_rows = []
    for r in rows:
        link = drill_month(scope, "answers", r["month"])
        table_rows.append(
            [
                text(month_label(r["month"]), link),
                number(r["nps"], flag=r["nps_low_sample"]),
                count(r["nps_n"]),
                interval(r["nps_ci_low"], r["nps_ci_high"]),
                number(r["csat_pct"], unit="%", flag=r["csat_low_sample"]),
                count(r["csat_n"]),
                interval(r["csat_ci_low"], r["csat_ci_high"]),
                number(r["ces_mean"], digits=2, flag=r["ces_low_sample"]),
                count(r["ces_n"]),
                interval(
                    _clamp(r["ces_ci_low"], (1, 7)), _clamp(r["ces_ci_high"], (1, 7)), digits=2
                ),
            ]
        )
    table = TableData(
        "table-satisfaction",
        _("Satisfaction by month"),
        # xgettext:no-python-format
        [_("Month"), _("NPS"), "n", _("95 % interval"), _("CSAT"), "n", _("95 % interval"),
         # xgettext:no-python-format
         _("CES"), "n", _("95 % interval")],
        table_rows,
    )  # fmt: skip
    empty = not any(r["nps_n"] or r["csat_n"] or r["ces_n"] for r in rows)
    return Panel(
        "satisfaction",
        _("Satisfaction"),
        # xgettext:no-python-format
        _("What customers answered, month by month; the band is the 95 % interval."),
        charts,
        [table],
        empty,
    )


def _clamp(value: float | None, bounds: tuple[float, float]) -> float | None:
    if value is None:
        return None
    return max(bounds[0], min(bounds[1], value))


def resolution_panel(scope: Scope, fcr: Table, declared: Table) -> Panel:
    measured = _months(fcr)
    said = {r["month"]: r for r in _months(declared)}
    labels = [month_label(r["month"]) for r in measured]
    fcr_series = Series(
        _("Measured (history)"),
        [r["fcr_pct"] for r in measured],
        [r["solved_with_inbound"] for r in measured],
        [r["fcr_ci_low"] for r in measured],
        [r["fcr_ci_high"] for r in measured],
        [drill_month(scope, "tickets", r["month"], inbound="1") for r in measured],
    )
    declared_rows = [said.get(r["month"], {}) for r in measured]
    declared_series = Series(
        _("Declared by customers"),
        [d.get("declared_resolved_pct") for d in declared_rows],
        [d.get("declared_n", 0) for d in declared_rows],
        [d.get("declared_ci_low") for d in declared_rows],
        [d.get("declared_ci_high") for d in declared_rows],
        [drill_month(scope, "answers", r["month"], resolved="yes") for r in measured],
        dashed=True,
    )
    sector = reference(Measure.FCR)
    chart = Chart(
        # xgettext:no-python-format
        "chart-fcr", _("First contact resolution"), "line", "%", _("% of solved tickets"),
        labels, [fcr_series, declared_series], 0, 100,
        lines=_reference_lines(sector, _("Sector FCR target"), " %"),
    )  # fmt: skip
    rows = []
    for r, d in zip(measured, declared_rows, strict=True):
        month = r["month"]
        rows.append(
            [
                text(month_label(month), drill_month(scope, "tickets", month, inbound="1")),
                number(r["fcr_pct"], unit="%", flag=r["fcr_low_sample"]),
                count(r["solved_with_inbound"], drill_month(scope, "tickets", month, inbound="1")),
                count(
                    r["solved_with_inbound"] - r["fcr"],
                    drill_month(scope, "tickets", month, fcr="0"),
                ),
                number(d.get("declared_resolved_pct"), unit="%", flag=d.get("low_sample", True)),
                count(d.get("declared_n", 0), drill_month(scope, "answers", month, resolved="")),
                number(d.get("agreement_pct"), unit="%"),
            ]
        )
    table = TableData(
        "table-fcr",
        _("First contact resolution by month"),
        [_("Month"), _("Measured FCR"), _("Solved tickets"), _("Not at first contact"),
         _("Declared resolved"), _("Answers"), _("Agreement")],
        rows,
        _("Declared: customers who answered that their request was resolved. Agreement: "
          "answers where the customer's say and the history agree."),
    )  # fmt: skip
    empty = not any(r["solved_with_inbound"] for r in measured)
    return Panel(
        "resolution",
        _("First contact resolution"),
        _("Measured from the ticket history beside what customers declare."),
        [chart],
        [table],
        empty,
        _sector(_("FCR target"), sector, " %"),
    )


def repeat_panel(scope: Scope, monthly: Table, causes: Table, by_reason: Table) -> Panel:
    rows = _months(monthly)
    labels = [month_label(r["month"]) for r in rows]
    trend = Chart(
        "chart-repeat", _("Repeat-contact rate"), "line", "%",
        # xgettext:no-python-format
        _("% of inbound contacts followed by a repeat"), labels,
        [Series(
            _("Repeat-contact rate"),
            [r["repeat_rate_pct"] for r in rows], [r["inbound_contacts"] for r in rows],
            [r["repeat_ci_low"] for r in rows], [r["repeat_ci_high"] for r in rows],
            [drill_month(scope, "contacts", r["month"], followed="1") for r in rows],
        )],
        0,
    )  # fmt: skip
    cause_rows = causes.records()
    totals = {who: sum(r[f"{who}_n"] for r in cause_rows) for who in ("customer", "agent")}
    codes = [r["reason_code"] for r in cause_rows]
    cause_labels = [str(RepeatCauseCode(c).label) if c in RepeatCauseCode.values else c
                    for c in codes]  # fmt: skip
    found = {c: reference(Measure.REPEAT_CAUSE, c) for c in codes}
    sector = {c: r.value for c, r in found.items() if r is not None}
    cited = next((r.cited for r in found.values() if r is not None), "")
    series = []
    for who, label in (("customer", _("As customers say")), ("agent", _("As agents see it"))):
        series.append(
            Series(
                label,
                [100 * r[f"{who}_n"] / totals[who] if totals[who] else None for r in cause_rows],
                [r[f"{who}_n"] for r in cause_rows],
                links=[drill(scope, "contacts", cause=c, reporter=who) for c in codes],
                kind="bar",
            )
        )
    if cited:
        series.append(
            Series(
                _("Sector (%(source)s)") % {"source": cited},
                [sector.get(c) for c in codes],
                kind="bar",
            )
        )
    cause_chart = Chart(
        # xgettext:no-python-format
        "chart-causes", _("Repeat-contact causes"), "bar", "%", _("% of the causes given"),
        cause_labels, series, 0, horizontal=True,
    )  # fmt: skip
    cause_table = TableData(
        "table-causes",
        _("Repeat-contact causes"),
        [
            _("Cause"),
            _("Customers"),
            "%",
            _("Agents"),
            "%",
            _("Sector (%(source)s)") % {"source": cited} if cited else _("Sector"),
        ],
        [
            [
                text(label),
                count(r["customer_n"], drill(scope, "contacts", cause=c, reporter="customer")),
                number(
                    100 * r["customer_n"] / totals["customer"] if totals["customer"] else None,
                    unit="%",
                    flag=low_sample(totals["customer"]),
                ),
                count(r["agent_n"], drill(scope, "contacts", cause=c, reporter="agent")),
                number(
                    100 * r["agent_n"] / totals["agent"] if totals["agent"] else None,
                    unit="%",
                    flag=low_sample(totals["agent"]),
                ),
                number(sector.get(c), digits=0, unit="%"),
            ]
            for label, c, r in zip(cause_labels, codes, cause_rows, strict=True)
        ],
    )
    reason_rows = sorted(by_reason.records(), key=lambda r: -(r["repeat_rate_pct"] or 0))
    reason_table = TableData(
        "table-repeat-reasons",
        _("Repeat contacts by contact reason"),
        [_("Contact reason"), _("Inbound contacts"), _("Followed by a repeat"), _("Rate"),
         # xgettext:no-python-format
         _("95 % interval")],
        [
            [
                text(reason_label(r["reason"]), drill(scope, "contacts", reason=r["reason"],
                                                      inbound="1")),
                count(r["inbound_contacts"]),
                count(r["followed_7d"], drill(scope, "contacts", reason=r["reason"], followed="1")),
                number(r["repeat_rate_pct"], unit="%", flag=r["repeat_low_sample"]),
                interval(r["repeat_ci_low"], r["repeat_ci_high"]),
            ]
            for r in reason_rows
        ],
    )  # fmt: skip
    empty = not any(r["inbound_contacts"] for r in rows)
    return Panel(
        "repeat",
        _("Repeat contacts"),
        _("Customers who came back on the same reason within the window, and why."),
        [trend, cause_chart],
        [trend_table(trend, "table-repeat", _("Repeat-contact rate by month")), cause_table,
         reason_table],
        empty,
    )  # fmt: skip


def trend_table(chart: Chart, table_id: str, caption: str) -> TableData:
    """A one-series trend chart's numbers as a table: period, value, n, interval."""
    series = chart.series[0]
    rows = []
    for i, label in enumerate(chart.labels):
        link = series.links[i] if series.links else ""
        rows.append(
            [
                text(label, link),
                number(series.values[i], unit=chart.unit,
                       flag=low_sample(series.n[i]) if series.n else False),
                count(series.n[i]) if series.n else text(""),
                interval(series.low[i], series.high[i]) if series.low else text(""),
            ]
        )  # fmt: skip
    # xgettext:no-python-format
    return TableData(table_id, caption, [_("Month"), series.label, "n", _("95 % interval")], rows)


def perception_panel(scope: Scope, by_team: Table, by_agent: Table, names: dict) -> Panel:
    tables = []
    charts = []
    for table, column, title, header, key in [
        (by_team, "team", _("by team"), _("Team"), "team"),
        (by_agent, "agent_id", _("by agent"), _("Agent"), "agent"),
    ]:
        rows = [r for r in table.records() if r["agent_n"] or r["customer_n"]]
        rows.sort(key=lambda r: -(r["gap_pct"] if r["gap_pct"] is not None else -1000))
        label_of = names[key]
        tables.append(
            TableData(
                f"table-gap-{key}",
                _("Perception gap, %(by)s") % {"by": title},
                [header, _("Gap (points)"), _("Agents' view (4-5)"), _("Ratings"),
                 _("Customers' CSAT"), _("Answers")],
                [
                    [
                        text(label_of(r[column]), drill(scope, "answers", kind="csat",
                                                        **{key: r[column]})),
                        number(r["gap_pct"]),
                        number(r["agent_csat_pct"], unit="%"),
                        count(r["agent_n"]),
                        number(r["customer_csat_pct"], unit="%", flag=r["customer_low_sample"]),
                        count(r["customer_n"]),
                    ]
                    for r in rows
                ],
            )
        )  # fmt: skip
        if key == "team":
            links = [drill(scope, "answers", kind="csat", team=r["team"]) for r in rows]
            charts.append(
                Chart(
                    "chart-gap", _("Agents' view beside customers' CSAT, by team"), "bar", "%",
                    # xgettext:no-python-format
                    _("% satisfied (4-5 of 5)"), [label_of(r["team"]) for r in rows],
                    [
                        Series(_("Agents' view"), [r["agent_csat_pct"] for r in rows],
                               [r["agent_n"] for r in rows], links=links),
                        Series(_("Customers' CSAT"), [r["customer_csat_pct"] for r in rows],
                               [r["customer_n"] for r in rows],
                               [r["customer_ci_low"] for r in rows],
                               [r["customer_ci_high"] for r in rows], links),
                    ],
                    0, 100, horizontal=True,
                )
            )  # fmt: skip
    empty = not tables[0].rows
    return Panel(
        "perception",
        _("Perception gap"),
        _(
            "How satisfied agents think customers were, beside what customers said (points: "
            "agents' share minus customers' share)."
        ),
        charts,
        tables,
        empty,
    )


DRIVER_LABELS = {
    "first": lambda: _("First contact"),
    "met": lambda: _("Answered within target"),
    "missed": lambda: _("Answered late"),
    "unanswered": lambda: _("Not answered"),
}


def _driver_label(key: str, value: str) -> str:
    if key == "exchanges":
        return _("%(n)s contacts") % {"n": value}
    if key == "repeat" and value == "repeat":
        return _("Repeat contact")
    return DRIVER_LABELS[value]() if value in DRIVER_LABELS else value


def drivers_panel(scope: Scope, drivers: dict[str, Table]) -> Panel:
    charts, tables = [], []
    titles = {
        "exchanges": _("Satisfaction by number of contacts on the ticket"),
        "repeat": _("Satisfaction after a repeat or a first contact"),
        "answer_target": _("Satisfaction by answer within target"),
    }
    params = {"exchanges": "exchanges", "repeat": "repeat", "answer_target": "target"}
    any_answer = False
    for key, table in drivers.items():
        rows = [r for r in table.records() if r["csat_n"] or r["nps_n"]]
        any_answer = any_answer or bool(rows)
        labels = [_driver_label(key, r[key]) for r in rows]
        links = [drill(scope, "answers", kind="csat", **{params[key]: r[key]}) for r in rows]
        charts.append(
            Chart(
                # xgettext:no-python-format
                f"chart-driver-{key}", titles[key], "bar", "%", _("% satisfied (4-5 of 5)"),
                labels,
                [Series(_("CSAT"), [r["csat_pct"] for r in rows], [r["csat_n"] for r in rows],
                        [r["csat_ci_low"] for r in rows], [r["csat_ci_high"] for r in rows],
                        links)],
                0, 100,
            )
        )  # fmt: skip
        tables.append(
            TableData(
                f"table-driver-{key}",
                titles[key],
                # xgettext:no-python-format
                ["", _("CSAT"), "n", _("95 % interval"), _("NPS"), "n"],
                [
                    [
                        text(label, link),
                        number(r["csat_pct"], unit="%", flag=r["csat_low_sample"]),
                        count(r["csat_n"]),
                        interval(r["csat_ci_low"], r["csat_ci_high"]),
                        number(r["nps"], flag=r["nps_low_sample"]),
                        count(r["nps_n"]),
                    ]
                    for label, link, r in zip(labels, links, rows, strict=True)
                ],
            )
        )
    return Panel(
        "drivers",
        _("What drives satisfaction"),
        _("Scores by what happened to the request."),
        charts,
        tables,
        not any_answer,
    )


def handling_panel(scope: Scope, aht: Table, exchanges: Table, phone: Table, speed: Table) -> Panel:
    aht_rows, exchange_rows, phone_rows = _months(aht), _months(exchanges), _months(phone)
    labels = [month_label(r["month"]) for r in phone_rows]
    alarm = abandonment_threshold()
    handled = reference(Measure.CALLS_HANDLED, "phone")
    norms = _answer_norms()
    phone_chart = Chart(
        # xgettext:no-python-format
        "chart-phone", _("Phone answer and abandonment"), "line", "%", _("% of calls offered"),
        labels,
        [
            Series(_("Answer rate"), [r["answer_rate_pct"] for r in phone_rows],
                   [r["offered"] for r in phone_rows], [r["answer_ci_low"] for r in phone_rows],
                   [r["answer_ci_high"] for r in phone_rows],
                   [drill_month(scope, "contacts", r["month"], channel="phone", inbound="1")
                    for r in phone_rows]),
            Series(_("Abandonment rate"), [r["abandonment_rate_pct"] for r in phone_rows],
                   [r["offered"] for r in phone_rows],
                   links=[drill_month(scope, "contacts", r["month"], abandoned="1")
                          for r in phone_rows], dashed=True),
        ],
        0, 100,
        lines=[{"value": alarm,
                "label": _("Abandonment alarm: %(pct)s %%") % {"pct": number_format(alarm)}},
               *_reference_lines(handled, _("Sector: calls handled"), " %")],
    )  # fmt: skip
    speed_rows = speed.records()
    speed_chart = Chart(
        "chart-speed", _("Answered within target, by channel"), "bar", "%",
        # xgettext:no-python-format
        _("% of answered contacts"), [channel_label(r["channel"]) for r in speed_rows],
        [Series(_("Within target"), [r["within_target_pct"] for r in speed_rows],
                [r["answered"] for r in speed_rows], [r["within_ci_low"] for r in speed_rows],
                [r["within_ci_high"] for r in speed_rows],
                [drill(scope, "contacts", channel=r["channel"], target="missed")
                 for r in speed_rows])],
        0, 100, horizontal=True,
    )  # fmt: skip
    monthly = TableData(
        "table-handling",
        _("Handling by month"),
        [_("Month"), _("Average handle time"), _("Handled"), _("Contacts per solved ticket"),
         _("Calls offered"), _("Answer rate"), _("Abandonment rate")],
        [
            [
                text(month_label(p["month"])),
                number(_minutes(a["aht_seconds"]), unit=" min",
                       link=drill_month(scope, "contacts", p["month"], handled="1")),
                count(a["handled"]),
                number(e["avg_inbound_contacts"], digits=2,
                       link=drill_month(scope, "tickets", p["month"], inbound="1")),
                count(p["offered"]),
                number(p["answer_rate_pct"], unit="%", flag=p["low_sample"]),
                number(p["abandonment_rate_pct"], unit="%", alarm=p["abandonment_alert"],
                       link=drill_month(scope, "contacts", p["month"], abandoned="1")),
            ]
            for a, e, p in zip(aht_rows, exchange_rows, phone_rows, strict=True)
        ],
    )  # fmt: skip
    speed_table = TableData(
        "table-speed",
        _("Speed of answer by channel"),
        [_("Channel"), _("Contacts answered"), _("Average speed of answer"), _("Target"),
         # xgettext:no-python-format
         _("Within target"), _("95 % interval"), _("Sector norm")],
        [
            [
                text(channel_label(r["channel"]), drill(scope, "contacts", channel=r["channel"],
                                                        inbound="1")),
                count(r["answered"]),
                number(_duration(r["avg_speed_of_answer_seconds"]), kind="text",
                       alarm=_late(r)),
                text(_duration(r["target_seconds"])),
                number(r["within_target_pct"], unit="%", flag=r["low_sample"],
                       link=drill(scope, "contacts", channel=r["channel"], target="missed")),
                interval(r["within_ci_low"], r["within_ci_high"]),
                text(_sector_time(r["channel"])),
            ]
            for r in speed_rows
        ],
    )  # fmt: skip
    empty = not any(r["offered"] for r in phone_rows) and not speed_rows
    return Panel(
        "handling",
        _("Handling"),
        _("Handle time, contacts per request, and how fast each channel answers."),
        [phone_chart, speed_chart],
        [monthly, speed_table],
        empty and not any(a["handled"] for a in aht_rows),
        [
            *_sector(_("exchanges per resolved request"), reference(Measure.EXCHANGES), "", 2),
            *_sector(_("phone calls handled"), handled, " %"),
            *(
                [_("Sector: answer-time norms by channel in the table below (%(source)s)")
                 % {"source": norms[0].cited}] if norms else []
            ),
        ],
    )  # fmt: skip


def _answer_norms() -> list[Reference]:
    return [r for (m, _s), r in sorted(sector_references().items()) if m == Measure.ANSWER_TIME]


def _sector_time(channel: str) -> str:
    ref = reference(Measure.ANSWER_TIME, channel)
    return _duration(ref.value) if ref is not None else ""


def _late(row: dict[str, Any]) -> bool:
    average, target = row["avg_speed_of_answer_seconds"], row["target_seconds"]
    return average is not None and target is not None and average > target


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return _("%(n)s s") % {"n": round(seconds)}
    if seconds < 7200:
        return _("%(n)s min") % {"n": round(seconds / 60)}
    hours = round(seconds / 3600, 1)
    return _("%(n)s h") % {"n": number_format(int(hours) if hours.is_integer() else hours)}


def backlog_panel(scope: Scope, backlog: Table) -> Panel:
    rows = _months(backlog)
    labels = [month_label(r["month"]) for r in rows]
    buckets = [name for name, _label, _low, _high in AGE_BUCKETS]
    label_of = {name: str(label) for name, label, _low, _high in AGE_BUCKETS}
    series = [
        Series(
            label_of[name],
            [r[name] for r in rows],
            links=[drill_month(scope, "tickets", r["month"], open="1", age=name) for r in rows],
            stack="age",
        )
        for name in buckets
    ]
    chart = Chart(
        "chart-backlog", _("Open tickets by month of creation and age"), "bar", "",
        _("open tickets"), labels, series, 0,
    )  # fmt: skip
    totals = {name: sum(r[name] for r in rows) for name in buckets}
    table = TableData(
        "table-backlog",
        _("Open tickets by month of creation"),
        [_("Month"), _("Open"), *(label_of[n] for n in buckets)],
        [
            [
                text(month_label(r["month"])),
                count(r["open_tickets"], drill_month(scope, "tickets", r["month"], open="1")),
                *(count(r[n], drill_month(scope, "tickets", r["month"], open="1", age=n))
                  for n in buckets),
            ]
            for r in rows
        ]
        + [[text(_("Total")), count(sum(totals.values()), drill(scope, "tickets", open="1")),
            *(count(totals[n], drill(scope, "tickets", open="1", age=n)) for n in buckets)]],
    )  # fmt: skip
    return Panel(
        "backlog",
        _("Backlog"),
        _("Tickets created in the period and still open, by how long they have waited."),
        [chart],
        [table],
        not sum(totals.values()),
    )


def flow_panel(scope: Scope, incoming: Table) -> Panel:
    records = incoming.records()
    first = scope.start.replace(day=1)
    observed = [r for r in records if not r["is_projection"] and r["month"] >= first]
    projected = [r for r in records if r["is_projection"]]
    months = sorted({r["month"] for r in observed})
    next_month = projected[0]["month"] if projected else None
    channels = sorted({r["channel"] for r in records}, key=channel_label)
    all_months = [*months, *([next_month] if next_month else [])]
    labels = [month_label(m) for m in months] + (
        [_("%(month)s (projected)") % {"month": month_label(next_month)}] if next_month else []
    )
    cell = {(r["month"], r["channel"]): r for r in records}
    series = []
    for channel in channels:
        values, links = [], []
        for month in all_months:
            r = cell.get((month, channel), {})
            projection = r.get("is_projection")
            values.append(r.get("projected") if projection else r.get("inbound_contacts"))
            links.append(
                drill_month(scope, "contacts", month, channel=channel, inbound="1")
                if month != next_month
                else ""
            )
        series.append(Series(channel_label(channel), values, links=links, stack="flow"))
    rolling = [
        sum(cell.get((m, c), {}).get("rolling_3_mean") or 0 for c in channels) for m in months
    ]
    series.append(
        Series(_("3-month rolling mean, all channels"), [*rolling, None], kind="line", dashed=True)
    )
    chart = Chart(
        "chart-flow", _("Incoming contacts by channel"), "bar", "", _("inbound contacts"),
        labels, series, 0,
    )  # fmt: skip
    rows = []
    for i, month in enumerate(all_months):
        projection = month == next_month
        total = sum(
            (cell.get((month, c), {}).get("projected") if projection
             else cell.get((month, c), {}).get("inbound_contacts")) or 0
            for c in channels
        )  # fmt: skip
        rows.append(
            [
                text(labels[i]),
                *(
                    number(cell.get((month, c), {}).get("projected"), digits=0)
                    if projection
                    else count(
                        cell.get((month, c), {}).get("inbound_contacts") or 0,
                        drill_month(scope, "contacts", month, channel=c, inbound="1"),
                    )
                    for c in channels
                ),
                number(total, digits=0),
                number(rolling[i] if i < len(rolling) else None, digits=0),
            ]
        )
    table = TableData(
        "table-flow",
        _("Incoming contacts by month and channel"),
        [_("Month"), *(channel_label(c) for c in channels), _("Total"),
         _("3-month rolling mean")],
        rows,
        _("The projection follows the trend of the last six months (least squares)."),
    )  # fmt: skip
    return Panel(
        "flow",
        _("Incoming flow"),
        _(
            "Inbound contacts per month and channel, their 3-month rolling mean and next "
            "month's projection."
        ),
        [chart],
        [table],
        not any(r["inbound_contacts"] for r in observed),
    )


def alarms(scope: Scope, phone: Table, speed: Table, fcr: Table) -> list[tuple[str, str]]:
    """(message, link) for each figure beyond its channel's target in the period (kpis.targets):
    abandonment above its threshold, a channel's speed of answer beyond its target, a channel's
    FCR under its target (on a sample large enough to say so)."""
    out = []
    threshold = abandonment_threshold()
    for r in _months(phone):
        if r["abandonment_alert"]:
            out.append(
                (
                    _("%(month)s: %(pct)s %% of phone calls abandoned (alarm above %(max)s %%)")
                    % {"month": month_label(r["month"]),
                       "pct": number_format(r["abandonment_rate_pct"], 1),
                       "max": number_format(threshold)},
                    drill_month(scope, "contacts", r["month"], abandoned="1"),
                )
            )  # fmt: skip
    for r in speed.records():
        if _late(r):
            out.append(
                (
                    _("%(channel)s: answered in %(speed)s on average, target %(target)s")
                    % {"channel": channel_label(r["channel"]),
                       "speed": _duration(r["avg_speed_of_answer_seconds"]),
                       "target": _duration(r["target_seconds"])},
                    drill(scope, "contacts", channel=r["channel"], target="missed"),
                )
            )  # fmt: skip
    targets = channel_targets()
    for r in fcr.records():
        target = targets.get(r["channel"])
        if r["fcr_pct"] is None or r["fcr_low_sample"] or target is None:
            continue
        if r["fcr_pct"] < target.fcr_pct:
            out.append(
                (
                    _("%(channel)s: %(pct)s %% of requests solved at the first contact, target "
                      "%(target)s %%")
                    % {"channel": channel_label(r["channel"]),
                       "pct": number_format(r["fcr_pct"], 1),
                       "target": number_format(target.fcr_pct)},
                    drill(scope, "tickets", channel=r["channel"], fcr="0"),
                )
            )  # fmt: skip
    return out
