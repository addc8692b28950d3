"""Survey history in a ticket history directory: answers from a previous tool, agents' own
ratings, and why customers came back (reported by the customers).

Registered with tickets' import (SurveysConfig.ready()), so `import_history` reads these files in
the same transaction as the contacts they point at, without `tickets` importing `surveys`.
"""

from collections.abc import Callable, Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.importing import (
    Column,
    FileCounts,
    Format,
    HistoryFile,
    PostgresLoader,
    Row,
    RowError,
    Upserted,
    choice,
    free_text,
    optional_id,
    parse_time,
    raw_text,
    required_id,
    time_column,
    whole_number,
)
from tickets.models import Agent, Contact, Ticket
from tickets.services import ids_ensure

from .models import (
    SCALES,
    AgentRating,
    RepeatCause,
    RepeatCauseCode,
    Reporter,
    Response,
    SurveyKind,
)


def _score_on_scale(row: tuple[Any, ...]) -> tuple[str, str] | None:
    kind, score = row[3], int(row[4])
    low, high = SCALES[kind]
    if not low <= score <= high:
        return "score", _("%(score)s is off the %(kind)s scale (%(low)s to %(high)s).") % {
            "score": score,
            "kind": kind.upper(),
            "low": low,
            "high": high,
        }
    return None


def _scale_sql(end: int) -> str:
    """A kind's lowest (0) or highest (1) score, in SQL over a staged row (alias `s`)."""
    cases = " ".join(f"WHEN '{kind}' THEN {scale[end]}" for kind, scale in SCALES.items())
    return f"(CASE s.kind {cases} END)"


RESPONSES = Format(
    "responses.csv",
    (
        required_id("response_id"),
        optional_id("ticket_id"),
        optional_id("contact_id"),
        Column("kind", choice(SurveyKind.values, gettext_lazy("survey kind")), required=True),
        Column("score", whole_number(0, 10), required=True, kind="int"),
        time_column("responded_at", required=True),
        Column("comment", free_text),
    ),
    check_row=_score_on_scale,
    check_row_sql=f"s.score::integer NOT BETWEEN {_scale_sql(0)} AND {_scale_sql(1)}",
)
AGENT_RATINGS = Format(
    "agent_ratings.csv",
    (
        required_id("contact_id"),
        required_id("agent_id"),
        Column("score", whole_number(1, 5), required=True, kind="int"),
        time_column("rated_at", required=True),
    ),
)
REPEAT_REASONS = Format(
    "repeat_reasons.csv",
    (
        required_id("contact_id"),
        Column(
            "reason_code",
            choice(RepeatCauseCode.values, gettext_lazy("reason code")),
            required=True,
        ),
        time_column("answered_at", required=True),
    ),
)


def _unknown(what: str) -> Callable[[str], str]:
    def message(external_id: str) -> str:
        return _("%(what)s “%(id)s” is neither in the import nor already known.") % {
            "what": what,
            "id": external_id,
        }

    return message


# Lazy: this module is imported once, and each message is made in the language of its import.
_unknown_contact = _unknown(gettext_lazy("contact"))
_unknown_ticket = _unknown(gettext_lazy("ticket"))

_CONTACT_EXISTS = "EXISTS (SELECT 1 FROM tickets_contact AS c WHERE c.external_id = s.contact_id)"
_TICKET_EXISTS = "EXISTS (SELECT 1 FROM tickets_ticket AS t WHERE t.external_id = s.ticket_id)"


# --- PostgreSQL: anti-joins for references, one upsert per file ---------------------------------


RESPONSE_COLUMNS = [
    "external_id", "contact_id", "ticket_id", "kind", "score", "scale_min", "scale_max",
    "responded_at", "comment",
]  # fmt: skip


def responses_load_postgres(table: str, run: PostgresLoader) -> FileCounts:
    condition = "s.{0} IS NOT NULL AND NOT {1}"
    run.reject_where(
        RESPONSES, "contact_id", condition.format("contact_id", _CONTACT_EXISTS), _unknown_contact
    )
    run.reject_where(
        RESPONSES, "ticket_id", condition.format("ticket_id", _TICKET_EXISTS), _unknown_ticket
    )
    upserted = run.upsert(
        Response,
        RESPONSE_COLUMNS,
        f"""
        SELECT s.response_id, c.id, t.id, s.kind, s.score::smallint,
               {_scale_sql(0)}::smallint, {_scale_sql(1)}::smallint,
               s.responded_at::timestamptz, COALESCE(s.comment, '')
        FROM (SELECT DISTINCT ON (response_id) * FROM {table}
              ORDER BY response_id, line DESC) AS s
        LEFT JOIN tickets_contact AS c ON c.external_id = s.contact_id
        LEFT JOIN tickets_ticket AS t ON t.external_id = s.ticket_id
        """,
        "external_id",
        moment="responded_at",
    )
    return _counts(run, table, "response_id", upserted)


def agent_ratings_load_postgres(table: str, run: PostgresLoader) -> FileCounts:
    run.reject_where(AGENT_RATINGS, "contact_id", f"NOT {_CONTACT_EXISTS}", _unknown_contact)
    run.entities_ensure(Agent, f"SELECT agent_id AS external_id FROM {table}")
    upserted = run.upsert(
        AgentRating,
        ["contact_id", "agent_id", "score", "rated_at"],
        f"""
        SELECT c.id, a.id, s.score::smallint, s.rated_at::timestamptz
        FROM (SELECT DISTINCT ON (contact_id) * FROM {table}
              ORDER BY contact_id, line DESC) AS s
        JOIN tickets_contact AS c ON c.external_id = s.contact_id
        JOIN tickets_agent AS a ON a.external_id = s.agent_id
        """,
        "contact_id",
        moment="rated_at",
    )
    return _counts(run, table, "contact_id", upserted)


def repeat_reasons_load_postgres(table: str, run: PostgresLoader) -> FileCounts:
    run.reject_where(REPEAT_REASONS, "contact_id", f"NOT {_CONTACT_EXISTS}", _unknown_contact)
    upserted = run.upsert(
        RepeatCause,
        ["contact_id", "reporter", "code", "answered_at"],
        f"""
        SELECT c.id, '{Reporter.CUSTOMER}', s.reason_code, s.answered_at::timestamptz
        FROM (SELECT DISTINCT ON (contact_id) * FROM {table}
              ORDER BY contact_id, line DESC) AS s
        JOIN tickets_contact AS c ON c.external_id = s.contact_id
        """,
        "contact_id, reporter",
        moment="answered_at",
    )
    return _counts(run, table, "contact_id", upserted)


def _counts(run: PostgresLoader, table: str, key: str, upserted: Upserted) -> FileCounts:
    [(total,)] = run.execute(f"SELECT count(DISTINCT {key}) FROM {table}")
    created, updated = upserted.created, upserted.updated
    return FileCounts(created, updated, total - created - updated, moments=upserted.moments)


# --- Other databases: batches through the ORM ----------------------------------------------------

Batches = Iterator[list[Row]]
Reject = Callable[[RowError], None]


def _resolve(
    fmt: Format, batch: list[Row], reject: Reject, column: str, pks: dict[str, int], what: str
) -> list[Row]:
    """The rows whose `column` (when set) names a known row; the others are rejected."""
    at = fmt.index(column)
    kept = []
    for row in batch:
        value = row.values[at]
        if value and value not in pks:
            raw = raw_text([v or "" for v in row.values])
            reject(RowError(fmt.file, row.line, column, _unknown(what)(value), raw))
        else:
            kept.append(row)
    return kept


def _pks(model, values) -> dict[str, int]:
    wanted = {v for v in values if v}
    return dict(model.objects.filter(external_id__in=wanted).values_list("external_id", "pk"))


def _write(
    model, key: Any, rows: dict[Any, dict[str, Any]], counts: FileCounts, moment: str
) -> None:
    """Create or update `model` rows keyed by `key` (a field, or a tuple of fields); the old and
    new values of `moment` of the rows written go to `counts.moments`."""
    keys = key if isinstance(key, tuple) else (key,)
    lookup = {f"{keys[0]}__in": [k[0] if isinstance(k, tuple) else k for k in rows]}
    existing = {
        tuple(getattr(o, k) for k in keys) if len(keys) > 1 else getattr(o, keys[0]): o
        for o in model.objects.filter(**lookup)
    }
    new, changed = [], []
    names: list[str] = []
    for k, values in rows.items():
        names = list(values)
        old = existing.get(k)
        if old is None:
            new.append(model(**values))
        elif any(getattr(old, n) != v for n, v in values.items()):
            if counts.moments is not None:
                counts.moments.append(getattr(old, moment))
            for n, v in values.items():
                setattr(old, n, v)
            changed.append(old)
    model.objects.bulk_create(new)
    if changed:
        model.objects.bulk_update(changed, names)
    if counts.moments is not None:
        counts.moments += [getattr(o, moment) for o in new + changed]
    counts.add(len(new), len(changed), len(rows) - len(new) - len(changed))


def responses_load_generic(batches: Batches, reject: Reject) -> FileCounts:
    counts = FileCounts()
    for batch in batches:
        contacts = _pks(Contact, (r.values[2] for r in batch))
        batch = _resolve(RESPONSES, batch, reject, "contact_id", contacts, _("contact"))
        tickets = _pks(Ticket, (r.values[1] for r in batch))
        batch = _resolve(RESPONSES, batch, reject, "ticket_id", tickets, _("ticket"))
        rows = {}
        for row in batch:
            ext, ticket, contact, kind, score, at, comment = RESPONSES.typed(row.values)
            low, high = SCALES[kind]
            rows[ext] = {
                "external_id": ext, "ticket_id": tickets.get(ticket), "kind": kind,
                "contact_id": contacts.get(contact), "score": score, "scale_min": low,
                "scale_max": high, "responded_at": at, "comment": comment or "",
            }  # fmt: skip
        _write(Response, "external_id", rows, counts, "responded_at")
    return counts


def agent_ratings_load_generic(batches: Batches, reject: Reject) -> FileCounts:
    counts = FileCounts()
    for batch in batches:
        contacts = _pks(Contact, (r.values[0] for r in batch))
        batch = _resolve(AGENT_RATINGS, batch, reject, "contact_id", contacts, _("contact"))
        agents = ids_ensure(Agent, (r.values[1] for r in batch))
        rows = {}
        for row in batch:
            contact, agent, score, rated_at = AGENT_RATINGS.typed(row.values)
            rows[contacts[contact]] = {
                "contact_id": contacts[contact], "agent_id": agents[agent], "score": score,
                "rated_at": rated_at,
            }  # fmt: skip
        _write(AgentRating, "contact_id", rows, counts, "rated_at")
    return counts


def repeat_reasons_load_generic(batches: Batches, reject: Reject) -> FileCounts:
    counts = FileCounts()
    for batch in batches:
        contacts = _pks(Contact, (r.values[0] for r in batch))
        batch = _resolve(REPEAT_REASONS, batch, reject, "contact_id", contacts, _("contact"))
        rows = {}
        for row in batch:
            contact, code, answered_at = row.values
            pk = contacts[contact]
            rows[(pk, Reporter.CUSTOMER.value)] = {
                "contact_id": pk, "reporter": Reporter.CUSTOMER.value, "code": code,
                "answered_at": parse_time(answered_at),
            }  # fmt: skip
        _write(RepeatCause, ("contact_id", "reporter"), rows, counts, "answered_at")
    return counts


HISTORY_FILES = [
    HistoryFile(RESPONSES, responses_load_postgres, responses_load_generic),
    HistoryFile(AGENT_RATINGS, agent_ratings_load_postgres, agent_ratings_load_generic),
    HistoryFile(REPEAT_REASONS, repeat_reasons_load_postgres, repeat_reasons_load_generic),
]
