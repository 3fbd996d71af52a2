"""The date dlselect takes as today: ages of facts are counted to it.

``DLSELECT_TODAY`` (an ISO date) sets it, so that a report can be reproduced as of a given day
and tests do not depend on the calendar.
"""

from __future__ import annotations

import os
from datetime import date

from selector.errors import DlselectError

ENV = "DLSELECT_TODAY"


def today() -> date:
    text = os.environ.get(ENV, "").strip()
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DlselectError(f"{ENV}={text!r} is not a date (YYYY-MM-DD)",
                            tip=f"unset {ENV} to count ages to the real date") from None


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months (the last day of a shorter month where needed)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def years_before(day: date, years: int) -> date:
    return add_months(day, -12 * years)


def age_text(days: int) -> str:
    """An age as a person says it: days, months, then years."""
    if days < 0:
        return f"dated {-days} days after today"
    if days < 60:
        return f"{days} day{'s' if days != 1 else ''} old"
    if days < 730:
        return f"{round(days * 12 / 365.25)} months old"
    return f"{days / 365.25:.1f} years old"


def years_text(years: int) -> str:
    return f"{years} year{'s' if years != 1 else ''}"
