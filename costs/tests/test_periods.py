from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from costs.periods import period_bounds, projected_month_end, resolve_period


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_day_one_extrapolates_without_dividing_by_zero():
    # Noon of 1 January: half a day of a 31-day month elapsed -> x62.
    assert projected_month_end(spend_to_date=Decimal("1.50"), now=at(2026, 1, 1, 12)) == Decimal("93.0000")


def test_exact_month_start_returns_the_spend_unextrapolated():
    assert projected_month_end(spend_to_date=Decimal("0"), now=at(2026, 3, 1)) == Decimal("0")
    assert projected_month_end(spend_to_date=Decimal("2"), now=at(2027, 1, 1)) == Decimal("2")


def test_last_moment_of_month_projects_the_spend_itself():
    last = at(2026, 4, 30, 23, 59, 59)
    # 1 second of 30 days remains: projection barely above the spend.
    result = projected_month_end(spend_to_date=Decimal("300"), now=last)
    assert Decimal("300") < result < Decimal("300.0002")


def test_last_day_noon():
    # 30.5 of 31 days elapsed in December.
    assert projected_month_end(spend_to_date=Decimal("61"), now=at(2026, 12, 31, 12)) == Decimal("62.0000")


def test_year_boundary_uses_the_new_month():
    # One day into January: Jan has 31 days (December is not used).
    assert projected_month_end(spend_to_date=Decimal("1"), now=at(2027, 1, 2)) == Decimal("31.0000")


@pytest.mark.parametrize(("year", "days"), [(2026, 28), (2028, 29), (2100, 28), (2000, 29)])
def test_february_common_and_leap_years(year, days):
    assert projected_month_end(spend_to_date=Decimal("7"), now=at(year, 2, 8)) == Decimal(days)


def test_non_utc_input_is_converted():
    from zoneinfo import ZoneInfo

    # Midnight of 1 March in Berlin is 23:00 on 28 February in UTC: 671 of February's 672 hours.
    berlin = datetime(2026, 3, 1, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert projected_month_end(spend_to_date=Decimal("671"), now=berlin) == Decimal("672.0000")


def test_period_bounds_month_and_day_across_year_end():
    assert period_bounds("month", at(2026, 12, 31, 23)) == (at(2026, 12, 1), at(2027, 1, 1))
    assert period_bounds("day", at(2026, 12, 31, 23)) == (at(2026, 12, 31), at(2027, 1, 1))
    assert period_bounds("month", at(2028, 2, 29, 5)) == (at(2028, 2, 1), at(2028, 3, 1))


def test_resolve_period_choices():
    now = at(2026, 11, 23, 15)
    assert resolve_period("today", now=now).start == at(2026, 11, 23)
    week = resolve_period("7d", now=now)
    assert (week.start, week.end, week.days) == (at(2026, 11, 17), at(2026, 11, 24), 7)
    mtd = resolve_period(None, now=now)
    assert (mtd.key, mtd.start, mtd.end) == ("mtd", at(2026, 11, 1), at(2026, 11, 24))
    custom = resolve_period("custom", now=now, start=date(2026, 10, 5), end=date(2026, 10, 1))
    assert (custom.start, custom.end) == (at(2026, 10, 1), at(2026, 10, 6))
    assert custom.end - custom.start == timedelta(days=5)
