"""UK dates and English school year groups."""

from datetime import date

import pytest

from desktop.dates import (
    academic_year_label,
    expected_year_group,
    parse_uk,
    to_uk,
    year_group_label,
)


@pytest.mark.parametrize(
    "born, on, year",
    [
        (date(2015, 9, 1), date(2026, 11, 23), 6),  # oldest in Year 6 in 2026/27
        (date(2016, 8, 31), date(2026, 11, 23), 6),  # youngest in Year 6
        (date(2016, 9, 1), date(2026, 11, 23), 5),
        (date(2021, 12, 25), date(2026, 11, 23), 0),  # Reception: turns 5 this school year
        (date(2016, 8, 31), date(2026, 7, 20), 5),  # July is still the previous school year
        (date(2010, 1, 1), date(2026, 11, 23), 12),
    ],
)
def test_expected_year_group(born, on, year):
    assert expected_year_group(born, on) == year


def test_uk_format_both_ways():
    assert to_uk("2026-03-04") == "04/03/2026"
    assert parse_uk("04/03/2026") == date(2026, 3, 4)
    assert parse_uk("2026-03-04") == date(2026, 3, 4)
    with pytest.raises(ValueError, match="DD/MM/YYYY"):
        parse_uk("March 4th")


def test_labels():
    assert [year_group_label(y) for y in (-1, 0, 7)] == ["Nursery", "Reception", "Year 7"]
    assert academic_year_label(date(2026, 11, 23)) == "2026/27"
    assert academic_year_label(date(2027, 2, 1)) == "2026/27"


def test_utc_timestamps_are_shown_in_local_time(monkeypatch):
    """A stored UTC time shows as the laptop's local date and time (here: London in
    summer, an hour ahead), with or without the Z."""
    import time

    from desktop.dates import to_uk_datetime, to_uk_local_date

    if not hasattr(time, "tzset"):
        pytest.skip("setting the time zone needs time.tzset (not on Windows)")
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    try:
        assert to_uk_datetime("2026-07-01T23:30:00.000Z") == "02/07/2026 00:30"
        assert to_uk_local_date("2026-07-01T23:30:00") == "02/07/2026"
        assert to_uk_local_date("2026-12-01T23:30:00Z") == "01/12/2026"  # GMT in winter
        assert to_uk_datetime(None) == to_uk_local_date("") == ""
    finally:
        monkeypatch.undo()
        time.tzset()
