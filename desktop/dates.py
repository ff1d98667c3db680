"""UK dates: how Fieldnote shows and reads dates, and English school years.

Stored dates are ISO (``2026-11-23``); people see and type ``23/11/2026``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

UK_FORMAT = "%d/%m/%Y"


def to_uk(value: str | date | None) -> str:
    """``2026-11-23`` (or a date) as ``23/11/2026``; empty for None."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime(UK_FORMAT)


def _local(value: str) -> datetime:
    """An ISO UTC timestamp (``...Z`` or naive) in this computer's time zone."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone()


def to_uk_datetime(value: str | None) -> str:
    """An ISO UTC timestamp as local ``23/11/2026 14:05``."""
    return _local(value).strftime(f"{UK_FORMAT} %H:%M") if value else ""


def to_uk_local_date(value: str | None) -> str:
    """An ISO UTC timestamp as the local date, ``23/11/2026``."""
    return _local(value).strftime(UK_FORMAT) if value else ""


def parse_uk(text: str) -> date:
    """Read ``23/11/2026`` (or ISO ``2026-11-23``); ValueError with a clear message otherwise."""
    text = text.strip()
    for fmt in (UK_FORMAT, "%Y-%m-%d", "%d/%m/%y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date; write it as DD/MM/YYYY, e.g. 23/11/2026.")


def academic_year_start(on: date) -> int:
    """The calendar year in which the English school year containing ``on`` began (1 September)."""
    return on.year if on.month >= 9 else on.year - 1


def academic_year_label(on: date) -> str:
    start = academic_year_start(on)
    return f"{start}/{str(start + 1)[-2:]}"


def expected_year_group(date_of_birth: date, on: date) -> int:
    """The National Curriculum year group for a child born on ``date_of_birth``, in the school
    year containing ``on``: Reception is 0, Nursery −1.

    A child's cohort is set by their age on 31 August before the school year starts:
    Year N children are N + 4 on that day (Reception children are 4).
    """
    start = academic_year_start(on)
    cutoff = date(start, 8, 31)
    age = cutoff.year - date_of_birth.year - ((cutoff.month, cutoff.day) < (date_of_birth.month, date_of_birth.day))
    return age - 4


def year_group_label(year: int | None) -> str:
    if year is None:
        return ""
    return {-1: "Nursery", 0: "Reception"}.get(year, f"Year {year}")


def age_on(date_of_birth: date, on: date) -> int:
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
