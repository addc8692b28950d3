"""Every KPI, by name: the one list the report, the API, the dashboard, the comparison and the
rollups read.

Each module of kpis/queries declares its KPIs and registers them with `kpi_register` when it
is imported; `KpisConfig.ready()` imports them all (`kpis_discover`), so a KPI added in a new
module there is served everywhere with no other file touched. The registry keeps the order of
the subjects (kpis.definition.SUBJECTS), then the order of registration.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .definition import Kpi

_kpis: dict[str, Kpi] = {}
_version = [0]  # bumped at each change, for what is derived from the registry (rollup specs)


class UnknownKpi(KeyError):
    pass


def kpi_register(kpi: Kpi) -> Kpi:
    """Add a KPI (again: the same definition replaces itself, a different one is an error)."""
    from .definition import SUBJECTS

    known = _kpis.get(kpi.name)
    if known is not None and known is not kpi:
        raise ValueError(f"Two KPIs are named {kpi.name!r}.")
    _kpis[kpi.name] = kpi
    ordered = sorted(_kpis.values(), key=lambda k: SUBJECTS.index(k.subject))
    _kpis.clear()
    _kpis.update((k.name, k) for k in ordered)  # sorted() is stable: registration order stays
    _version[0] += 1
    return kpi


def kpi_unregister(name: str) -> None:
    if _kpis.pop(name, None) is not None:
        _version[0] += 1


def registry_version() -> int:
    return _version[0]


class _Registry(Mapping[str, "Kpi"]):
    """A live, read-only view of the registered KPIs: {name: Kpi}."""

    def __getitem__(self, name: str) -> Kpi:
        try:
            return _kpis[name]
        except KeyError:
            raise UnknownKpi(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(list(_kpis))

    def __len__(self) -> int:
        return len(_kpis)


KPIS: Mapping[str, Kpi] = _Registry()


def kpis_discover() -> None:
    """Import every module of kpis.queries: each registers the KPIs it declares."""
    package = import_module("kpis.queries")
    for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
        import_module(f"kpis.queries.{module}")
