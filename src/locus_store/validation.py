"""Input checks that run before any SQL: each failure is a typed error naming the argument."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

import orjson

from locus_store.errors import InvalidInputError, InvalidTypeError
from locus_store.schema.tables import MAX_KEY_LENGTH
from locus_store.schema.types import EMPTY_STRING_SENTINEL

#: Metadata keys usable in queries: they become part of a JSON path on some dialects.
_METADATA_KEY_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,127}")
#: A NUL character as JSON writes it: ``\u0000`` after an even number of backslashes
#: (text that merely shows the six characters ``\u0000`` is written ``\\u0000``).
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
#: Upper bound of any ``limit`` argument.
MAX_LIMIT = 100_000


def _check_text(value: str, what: str) -> None:
    if "\x00" in value:
        raise InvalidInputError(f"{what} must not contain NUL characters")
    if value == EMPTY_STRING_SENTINEL:
        raise InvalidInputError(f"{what} {value!r} is reserved")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{what} is not valid Unicode (lone surrogate)") from None


def require_key(value: object, what: str, *, allow_empty: bool = False) -> str:
    """A thread id, checkpoint id, namespace, task id or channel: a short, clean string."""
    if not isinstance(value, str):
        raise InvalidTypeError(f"{what} must be a string, not {type(value).__name__}")
    if not value and not allow_empty:
        raise InvalidInputError(f"{what} must not be empty")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"{what} is {len(value)} characters long; the limit is {MAX_KEY_LENGTH}"
        )
    _check_text(value, what)
    return value


def require_text(value: object, what: str, *, max_characters: int, max_bytes: int) -> str:
    """A free-form string of at most ``max_characters`` and ``max_bytes`` UTF-8 bytes.

    Both bounds, because a ``VARCHAR2(n CHAR)`` column holds ``n`` characters but never
    more bytes than the type's limit (4000 under Oracle's ``MAX_STRING_SIZE=STANDARD``);
    every backend applies the same bounds, so what one stores, all store.
    """
    if not isinstance(value, str):
        raise InvalidTypeError(f"{what} must be a string, not {type(value).__name__}")
    _check_text(value, what)
    if len(value) > max_characters:
        raise InvalidInputError(
            f"{what} is {len(value)} characters long; the limit is {max_characters}"
        )
    size = len(value.encode("utf-8"))
    if size > max_bytes:
        raise InvalidInputError(f"{what} is {size} bytes long in UTF-8; the limit is {max_bytes}")
    return value


def require_optional_key(value: object, what: str) -> str | None:
    return None if value is None else require_key(value, what)


def require_limit(value: object, what: str = "limit") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 1 or value > MAX_LIMIT:
        raise InvalidInputError(f"{what} must be between 1 and {MAX_LIMIT}, not {value}")
    return value


def require_non_negative_number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTypeError(f"{what} must be a number, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise InvalidInputError(f"{what} must be a finite number >= 0, not {value}")
    return float(value)


def require_ttl(value: object, what: str = "ttl") -> dt.timedelta | None:
    """``None``, or a positive duration: a ``timedelta`` or a number of seconds."""
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        ttl = value
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTypeError(
            f"{what} must be a datetime.timedelta or a number of seconds, "
            f"not {type(value).__name__}"
        )
    elif not math.isfinite(value):
        raise InvalidInputError(f"{what} must be a finite number of seconds, not {value}")
    else:
        try:
            ttl = dt.timedelta(seconds=value)
        except OverflowError:
            raise InvalidInputError(f"{what} of {value} seconds is too long") from None
    if ttl <= dt.timedelta(0):
        raise InvalidInputError(f"{what} must be positive, not {value}")
    return ttl


#: orjson hands datetimes, dataclasses and subclasses of built-in types to ``default``
#: (there is none, so it raises) instead of encoding them: the standard library decides.
_STRICT_ORJSON = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _plain(value: object) -> bool:
    """Only dicts, lists, tuples, str, int, bool, None and finite floats, all the way down.

    orjson also encodes UUIDs and enums and writes NaN as ``null``; the standard
    library refuses those, and a value holding one takes the slow path below.
    """
    items: Any
    if type(value) is dict:
        items = value.values()
    elif type(value) is list or type(value) is tuple:
        items = value
    elif type(value) is float:
        return math.isfinite(value)
    else:
        return type(value) in (str, int, bool) or value is None
    for item in items:
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if not _plain(item):
            return False
    return True


def _certainly_json(value: object) -> bool:
    """A fast yes for the common case; False means "ask the standard library"."""
    try:
        # Raises on lone surrogates, non-str keys, integers beyond 64 bits, cycles
        # and deep nesting, all of which the checks below handle exactly.
        encoded = orjson.dumps(value, option=_STRICT_ORJSON)
    except (TypeError, ValueError):
        return False
    return b"\\u0000" not in encoded and _plain(value)


def require_json(value: object, what: str) -> Any:
    """Any JSON value (str keys, no NaN/Infinity, no NUL, no lone surrogates)."""
    if _certainly_json(value):
        return value
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except TypeError as exc:
        raise InvalidTypeError(f"{what} is not JSON-serialisable: {exc}") from None
    except ValueError as exc:
        raise InvalidInputError(f"{what} is not valid JSON: {exc}") from None
    if "\\u0000" in text and _ESCAPED_NUL.search(text):
        raise InvalidInputError(f"{what} must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{what} contains a lone surrogate") from None
    _require_string_keys(value, what)
    return value


def _require_string_keys(value: object, what: str) -> None:
    """``json`` writes int, float, bool and None keys as strings: they would not come back."""
    pending = [value]
    while pending:
        item = pending.pop()
        children: Any = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict):
            for key in item:
                if not isinstance(key, str):
                    raise InvalidTypeError(f"{what} keys must be strings, not {type(key).__name__}")
        elif not isinstance(item, list | tuple):
            continue
        pending.extend(c for c in children if isinstance(c, dict | list | tuple))


def require_metadata(value: object, what: str = "metadata") -> dict[str, Any] | None:
    """``None`` or a JSON object with string keys."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidTypeError(f"{what} must be a dict or None, not {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise InvalidTypeError(f"{what} keys must be strings, not {type(key).__name__}")
    require_json(value, what)
    return value


def require_metadata_key(value: object) -> str:
    """A metadata key used in a query: letters, digits, ``_`` and ``-`` only."""
    if not isinstance(value, str):
        raise InvalidTypeError(f"metadata key must be a string, not {type(value).__name__}")
    if not _METADATA_KEY_RE.fullmatch(value):
        raise InvalidInputError(
            f"metadata key {value[:40]!r} is not queryable: use 1-128 letters, digits, '_' or '-'"
        )
    return value
