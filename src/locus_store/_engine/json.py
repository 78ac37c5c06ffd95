"""The JSON codec of every engine the store creates: orjson where it is exact, else ``json``."""

from __future__ import annotations

import json
from typing import Any

import orjson

#: orjson leaves datetimes, dataclasses and subclasses of built-in types to the
#: standard library, which has the final word on what is JSON.
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def dumps(value: Any) -> str:
    """Compact JSON text: orjson (tens of times faster), else the standard library.

    Values reach here validated (``require_json``); what orjson refuses (integers
    beyond 64 bits, non-str keys, ...) is encoded by ``json`` as before.
    """
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


#: Each byte of JSON text as ``0`` if it is a digit, else a space.
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
#: 19 digits in a row: the shortest text that may be an integer beyond 64 bits.
_LONG_NUMBER = b"0" * 19
#: Longest JSON text parsed with orjson. Its parser's working memory grows to many
#: times the text (about 13x at 10 MB), and past a few hundred kilobytes it is no
#: faster than ``json`` once the digit scan below is paid for.
ORJSON_MAX_BYTES = 64 * 1024


def loads(text: str | bytes) -> Any:
    """Parse JSON text: orjson for short text (several times faster), else ``json``.

    orjson reads an integer beyond 64 bits as a float; text with a run of 19
    digits anywhere (such an integer, or only a long number inside a string) is
    left to ``json``, which keeps every integer exact, as is text orjson refuses.
    """
    if isinstance(text, str) and len(text) <= ORJSON_MAX_BYTES:
        raw = text.encode(errors="surrogatepass")
    elif isinstance(text, bytes):
        raw = text
    else:  # long text; or SQLite handing back a JSON number as a number (json raises)
        return json.loads(text)
    if len(raw) <= ORJSON_MAX_BYTES and _LONG_NUMBER not in raw.translate(_DIGITS_AS_ZEROS):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)
