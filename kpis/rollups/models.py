"""Per-day rollups of the history: exact integer counts and sums per local day and segment.

A day is a calendar day of the zone the rollups were built in (`RollupState.time_zone`). Each
column is the same aggregate a KPI query computes while scanning (kpis.rollups.specs), summed
over the day's rows, so figures summed from rollups equal scanned figures to the bit.
"""

from django.db import models

from tickets.models import Agent, Team

# Measures are 4-byte integers: one day and segment never counts 2^31 of anything, and
# PostgreSQL sums them into 8-byte integers (sums of 8-byte ones are slow numerics).


def _segment(model: type[models.Model]) -> models.ForeignKey:
    # No database constraint: a rollup row is rebuilt from the history, never the reverse.
    return models.ForeignKey(
        model, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )


class RollupState(models.Model):
    """One row: the settings the rollups were built with (the zone their days are cut in, the
    window of the facts they count), and how far a full build got."""

    BUILDING, READY = "building", "ready"

    time_zone = models.CharField(max_length=64)
    # FCR_WINDOW_DAYS of the stored facts they were built from (tickets.FactsState).
    fcr_window_days = models.PositiveIntegerField(null=True)
    status = models.CharField(max_length=16, default=BUILDING)
    first_day = models.DateField(null=True)
    last_day = models.DateField(null=True)
    # Fill state of a full build: every day up to this one is done (resume after it).
    built_through = models.DateField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.status} in {self.time_zone} through {self.built_through}"


class DirtyDay(models.Model):
    """A local day whose rollups may be stale: served by scanning until it is rebuilt.

    One row per mark (not per day): a rebuild deletes only the marks it read, so a mark written
    while it runs survives it.
    """

    day = models.DateField(db_index=True)

    def __str__(self) -> str:
        return self.day.isoformat()


class _Day(models.Model):
    day = models.DateField(db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.pk}"


class ContactDay(_Day):
    """Contacts by day of `started_at`, channel and team."""

    channel = models.CharField(max_length=16)
    team = _segment(Team)
    contacts = models.IntegerField(default=0)
    inbound_contacts = models.IntegerField(default=0)
    followed_7d = models.IntegerField(default=0)
    repeat_contacts = models.IntegerField(default=0)
    offered = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    handle_seconds = models.IntegerField(default=0)


class TicketDay(_Day):
    """Solved tickets by day of `solved_at`, channel and team of their first inbound contact."""

    channel = models.CharField(max_length=16, null=True)
    team = _segment(Team)
    solved = models.IntegerField(default=0)
    solved_no_inbound = models.IntegerField(default=0)
    solved_with_inbound = models.IntegerField(default=0)
    single_inbound = models.IntegerField(default=0)
    fcr = models.IntegerField(default=0)
    recontact_7d = models.IntegerField(default=0)
    inbound_contacts = models.IntegerField(default=0)
    once_and_done = models.IntegerField(default=0)


class ResponseDay(_Day):
    """Survey answers by day of `responded_at`, channel, team and agent of their contact."""

    channel = models.CharField(max_length=16, null=True)
    team = _segment(Team)
    agent = _segment(Agent)
    responses = models.IntegerField(default=0)
    nps_n = models.IntegerField(default=0)
    promoters = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)
    csat_n = models.IntegerField(default=0)
    csat_good = models.IntegerField(default=0)
    csat_sum = models.IntegerField(default=0)
    ces_n = models.IntegerField(default=0)
    ces_sum = models.IntegerField(default=0)
    ces_squares = models.IntegerField(default=0)


class RatingDay(_Day):
    """Agents' own ratings by day of `rated_at` and agent."""

    agent = _segment(Agent)
    agent_n = models.IntegerField(default=0)
    agent_good = models.IntegerField(default=0)
    agent_sum = models.IntegerField(default=0)


class CauseDay(_Day):
    """Repeat-contact causes by day of `answered_at` and cause code."""

    code = models.CharField(max_length=32)
    n = models.IntegerField(default=0)
    on_repeat_contact = models.IntegerField(default=0)
    customer_n = models.IntegerField(default=0)
    agent_n = models.IntegerField(default=0)


# Measure columns of a part rollup: a part's aggregates, in the order its entry names them.
PART_MEASURES = 12


class PartDay(_Day):
    """One KPI part's counts by day, channel, team and (optionally) one or two keys of its own:
    the parts the per-source tables above cannot hold, because they cut by a key those do not
    keep (satisfaction by exchanges, by repeat, by answer target; repeat contacts by reason;
    agents' ratings by team; costs by reason and direction) or count aggregates they do not sum
    (declared resolution, speed of answer, chatbot hand-offs). `part` names the entry
    (kpis.rollups.parts); `key`, `key2` its keys; `m0`... its aggregates."""

    # Read and rebuilt by part and days: the (part, day) index alone, never the day's.
    day = models.DateField()
    part = models.CharField(max_length=64)
    channel = models.CharField(max_length=16, null=True)
    team = _segment(Team)
    key = models.CharField(max_length=64, null=True)
    key2 = models.CharField(max_length=64, null=True)
    m0 = models.BigIntegerField(default=0)
    m1 = models.BigIntegerField(default=0)
    m2 = models.BigIntegerField(default=0)
    m3 = models.BigIntegerField(default=0)
    m4 = models.BigIntegerField(default=0)
    m5 = models.BigIntegerField(default=0)
    m6 = models.BigIntegerField(default=0)
    m7 = models.BigIntegerField(default=0)
    m8 = models.BigIntegerField(default=0)
    m9 = models.BigIntegerField(default=0)
    m10 = models.BigIntegerField(default=0)
    m11 = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["part", "day"], name="kpis_partday_part_day")]
