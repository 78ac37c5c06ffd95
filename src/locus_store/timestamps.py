"""Time as the store writes and reports it: aware UTC, ISO 8601 text."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Now, as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def iso_utc(stamp: dt.datetime | None) -> str | None:
    """``stamp`` (aware) as ISO 8601 text in UTC (``+00:00``); ``None`` stays ``None``."""
    return None if stamp is None else stamp.astimezone(dt.UTC).isoformat()
