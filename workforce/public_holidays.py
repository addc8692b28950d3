"""Public holidays of the country set in STAFFING_HOLIDAYS_COUNTRY (France by default), from the
`holidays` package: the forecast treats them apart (workforce.forecast) and the staffing page
names them."""

from datetime import date

import holidays
from django.conf import settings
from django.utils import translation


def public_holidays(first: date, last: date) -> dict[date, str]:
    """{day: holiday's name, in the active language when the package has it} between the days
    given, both included; empty when no country is set."""
    country = settings.STAFFING_HOLIDAYS_COUNTRY
    if not country:
        return {}
    calendar = holidays.country_holidays(country, years=range(first.year, last.year + 1))
    language = _language(calendar)
    if language:
        calendar = holidays.country_holidays(
            country, years=range(first.year, last.year + 1), language=language
        )
    return {day: name for day, name in sorted(calendar.items()) if first <= day <= last}


def _language(calendar: holidays.HolidayBase) -> str | None:
    """The package's code for the active language (fr, en_US...), if it has one."""
    active = (translation.get_language() or "").replace("-", "_")
    supported = getattr(calendar, "supported_languages", ()) or ()
    for code in supported:
        if code.lower() == active.lower() or code.split("_")[0] == active.split("_")[0]:
            return code
    return None
