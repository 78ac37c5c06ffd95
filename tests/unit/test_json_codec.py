"""The fast JSON paths (orjson) say and give exactly what the standard library would.

``require_json`` takes a shortcut for plain values; ``_compact_json`` and
``_json_loads`` use orjson where it is exact. Each is checked against the
standard library on generated values, exotic ones included.
"""

from __future__ import annotations

import enum
import json
import math
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locus_store import validation
from locus_store._engine.json import ORJSON_MAX_BYTES
from locus_store._engine.json import dumps as _compact_json
from locus_store._engine.json import loads as _json_loads
from locus_store.errors import InvalidInputError, InvalidTypeError
from locus_store.validation import require_json


class Colour(enum.Enum):
    RED = 1


class Label(str):
    pass


leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["\x00", "a\\u0000b", "\ud800", "\U0001f600", "9" * 19])
    | st.sampled_from([uuid.UUID(int=7), Colour.RED, Label("x"), b"bytes", {1, 2}])
)
keys = st.text(max_size=6) | st.sampled_from([1, 2.5, None, True, Label("k")])
values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=20,
)


def verdict(value: Any) -> str:
    try:
        require_json(value, "value")
    except InvalidTypeError:
        return "type error"
    except InvalidInputError:
        return "input error"
    return "accepted"


@settings(max_examples=500, deadline=None)
@given(values)
def test_the_fast_check_agrees_with_the_standard_library(value: Any) -> None:
    fast = verdict(value)
    slow_only = pytest.MonkeyPatch()
    slow_only.setattr(validation, "_certainly_json", lambda _value: False)
    try:
        slow = verdict(value)
    finally:
        slow_only.undo()
    assert fast == slow


@settings(max_examples=300, deadline=None)
@given(values)
def test_what_validation_accepts_is_encoded_and_decoded_exactly(value: Any) -> None:
    if verdict(value) != "accepted":
        return
    text = _compact_json(value)
    assert json.loads(text) == json.loads(json.dumps(value))
    assert _json_loads(text) == json.loads(text)
    assert _json_loads(text.encode()) == json.loads(text)


def test_integers_beyond_64_bits_come_back_exact() -> None:
    big = {"up": 2**64 + 1, "down": -(2**63) - 1, "list": [10**30]}
    text = _compact_json(big)
    assert _json_loads(text) == big
    assert all(type(v) is int for v in (_json_loads(text)["up"], _json_loads(text)["down"]))


def test_a_long_run_of_digits_in_a_string_is_still_read_right() -> None:
    assert _json_loads('{"id": "12345678901234567890", "n": 1}') == {
        "id": "12345678901234567890",
        "n": 1,
    }


def test_text_orjson_refuses_is_read_by_the_standard_library() -> None:
    assert math.isnan(_json_loads("NaN"))
    assert _json_loads('"\\ud800"') == "\ud800"


def test_long_text_is_read_by_the_standard_library() -> None:
    document = {"text": "word " * (ORJSON_MAX_BYTES // 4), "n": 2**70}
    text = json.dumps(document)
    assert len(text) > ORJSON_MAX_BYTES
    assert _json_loads(text) == document


def test_a_number_sqlite_hands_back_raises_the_type_error_sqlalchemy_expects() -> None:
    with pytest.raises(TypeError):
        _json_loads(42)  # type: ignore[arg-type]


def test_values_orjson_refuses_are_encoded_by_the_standard_library() -> None:
    assert json.loads(_compact_json({"n": 2**80})) == {"n": 2**80}
    assert _compact_json({1: "a"}) == '{"1":"a"}'
    assert json.loads(_compact_json({"s": Label("x")})) == {"s": "x"}


def test_plain_documents_take_the_fast_path_and_others_do_not() -> None:
    assert validation._certainly_json({"a": [1, 2.5, "x", None, True, {"b": ()}]})
    for other in (math.nan, uuid.UUID(int=1), Colour.RED, Label("x"), {1: 2}, "\x00", 2**64):
        assert not validation._certainly_json({"v": other})
