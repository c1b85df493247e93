"""``--since`` and ``--until`` as users write them, read one way by every command.

A bound is a day (``2024-03-05``), an ISO time (``2024-03-05T10:30``, with or without an
offset), or a span back from now (``7d``, ``12h``, ``30m``, ``2w``). Bounds come back as
naive UTC ISO strings, which compare correctly with the archive's stored UTC timestamps.
A bad value is a usage error naming the option (click's ``Invalid value for '--since'``).
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import click

_SPAN = re.compile(r"(\d+)\s*([wdhm])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
EXPECTED = "a date (YYYY-MM-DD), an ISO time (YYYY-MM-DDTHH:MM) or a span back from now (7d, 12h, 30m, 2w)"


def parse_since(value: str, *, now: datetime | None = None) -> str:
    """The inclusive lower bound for ``value``."""
    return _bound(value, now)[0]


def parse_until(value: str, *, now: datetime | None = None) -> str:
    """The exclusive upper bound: the day after a date, the next second after a time."""
    start, step = _bound(value, now)
    if step == timedelta(days=1):
        return (date.fromisoformat(start) + step).isoformat()
    return _iso(datetime.fromisoformat(start) + step)


def bound_option(parse):
    """A click callback turning an option's value into a bound, or a usage error naming it."""
    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return convert


def _bound(value: str, now: datetime | None) -> tuple[str, timedelta]:
    value = value.strip()
    if span := _SPAN.fullmatch(value):
        moment = (now or datetime.now(UTC)) - timedelta(**{_UNITS[span.group(2)]: int(span.group(1))})
        return _iso(moment.astimezone(UTC).replace(tzinfo=None)), timedelta(seconds=1)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            date.fromisoformat(value)  # rejects 2024-02-30
        except ValueError:
            raise ValueError(f"{value!r} is not {EXPECTED}") from None
        return value, timedelta(days=1)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not {EXPECTED}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    step = timedelta(microseconds=1) if moment.microsecond else timedelta(seconds=1)
    return _iso(moment), step


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
