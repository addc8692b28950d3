"""Occupancy alert bands per team (admin), with the default band for teams without one."""

from dataclasses import dataclass

from .models import TeamWorkforce

_low = TeamWorkforce._meta.get_field("occupancy_low_pct").default
_high = TeamWorkforce._meta.get_field("occupancy_high_pct").default


@dataclass(frozen=True)
class Bands:
    by_team: dict[str, tuple[int, int]]

    def of(self, team: str | None) -> tuple[int, int]:
        """(alert below, alert above) in % for a team's external id (None: the default)."""
        return self.by_team.get(team or "", (_low, _high))


def occupancy_bands() -> Bands:
    rows = TeamWorkforce.objects.values_list(
        "team__external_id", "occupancy_low_pct", "occupancy_high_pct"
    )
    return Bands({team: (low, high) for team, low, high in rows})
