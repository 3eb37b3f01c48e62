"""UTC calendar periods of budgets and dashboards, and the month-end projection."""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal


def start_of_day(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time.min, tzinfo=UTC)


def start_of_month(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).date()
    return datetime(day.year, day.month, 1, tzinfo=UTC)


def start_of_next_month(moment: datetime) -> datetime:
    first = start_of_month(moment)
    # Day 28 exists in every month, so +4 days always lands in the next one.
    return start_of_month(first.replace(day=28) + timedelta(days=4))


def period_bounds(period: str, moment: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the budget period ("day" or "month") that contains `moment`."""
    if period == "day":
        start = start_of_day(moment)
        return start, start + timedelta(days=1)
    return start_of_month(moment), start_of_next_month(moment)


def projected_month_end(*, spend_to_date: Decimal, now: datetime) -> Decimal:
    """Month-end spend if the month continues at its run-rate so far.

    The run-rate is spend per elapsed second since the month began (UTC), so a partly
    elapsed day counts as a fraction, day 1 does not divide by zero, and the last
    moment of the month projects the spend itself. Exactly at month start nothing has
    elapsed and the spend (normally 0) is returned unextrapolated.
    """
    start = start_of_month(now)
    end = start_of_next_month(now)
    elapsed = Decimal(int((now.astimezone(UTC) - start).total_seconds()))
    if elapsed <= 0:
        return spend_to_date
    whole = Decimal(int((end - start).total_seconds()))
    return (spend_to_date * whole / elapsed).quantize(Decimal("0.0001"))


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


@dataclass(frozen=True)
class Period:
    """A dashboard window [start, end) with the name it was chosen by."""

    key: str
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return max((self.end - self.start).days, 1)

    @property
    def label(self) -> str:
        last = (self.end - timedelta(microseconds=1)).date()
        return f"{self.start.date()} – {last}"


PERIOD_CHOICES = [("today", "Today"), ("7d", "Last 7 days"), ("mtd", "Month to date"), ("custom", "Custom")]


def resolve_period(key: str | None, *, now: datetime, start: date | None = None, end: date | None = None) -> Period:
    """today | 7d (today and the 6 days before) | mtd | custom (inclusive dates); default mtd."""
    today = start_of_day(now)
    tomorrow = today + timedelta(days=1)
    if key == "today":
        return Period("today", today, tomorrow)
    if key == "7d":
        return Period("7d", today - timedelta(days=6), tomorrow)
    if key == "custom" and start and end:
        if end < start:
            start, end = end, start
        return Period(
            "custom",
            datetime.combine(start, time.min, tzinfo=UTC),
            datetime.combine(end, time.min, tzinfo=UTC) + timedelta(days=1),
        )
    return Period("mtd", start_of_month(now), tomorrow)
