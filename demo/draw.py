"""Drawing from the demo's one random stream: weighted picks, counts, amounts, days and times.

Pure: everything comes from the ``random.Random`` handed in, so the same seed draws the same
values in the same order.
"""

import datetime as dt
import math
import random
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

ONE_DAY = dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def money(value: float, step: int) -> Decimal:
    """``value`` rounded to a multiple of ``step`` (at least one step), in cents."""
    return Decimal(max(step, round(value / step) * step)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def pick(rng: random.Random, weighted):
    """One value of ``weighted`` ((value, weight) pairs), as likely as its weight."""
    r = rng.random() * sum(w for _, w in weighted)
    for value, weight in weighted:
        r -= weight
        if r < 0:
            return value
    return weighted[-1][0]


class Draws:
    """The random stream and the calendar of a story: ``today`` (the book ends the day before)
    and the ``horizon`` where its history begins."""

    def __init__(self, *, rng: random.Random, today: dt.date, history_days: int):
        self.rng = rng
        self.today = today
        self.horizon = today - dt.timedelta(days=history_days)
        self.tz = timezone.get_current_timezone()

    def at(self, day: dt.date, hour: int | None = None) -> dt.datetime:
        """A moment in working hours of ``day`` (on the quarter hour), or at ``hour``."""
        rng = self.rng
        hour = rng.randint(8, 17) if hour is None else hour
        return dt.datetime(day.year, day.month, day.day, hour, rng.choice((0, 15, 30, 45)),
                           tzinfo=self.tz)  # fmt: skip

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randint(0, max(0, (last - first).days)))
