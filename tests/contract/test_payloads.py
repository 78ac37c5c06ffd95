"""Values that each backend stores its own way round-trip exactly, on every backend.

Oracle: JSON numbers come back as ``Decimal``, ``''`` is NULL, and values over
4000 bytes need LOB binds; PostgreSQL ``jsonb`` and SQLite text have their own limits.
"""

from __future__ import annotations

from typing import Any

import pytest
from locus.core.messages import Message, Role
from locus.core.state import AgentState

from locus_store import Store
from tests.support.states import PAYLOAD_SIZES, large_state

SIZES = PAYLOAD_SIZES
_state = large_state


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_latest_saves_and_loads_large_states(store: Store, size: int) -> None:
    checkpointer = store.latest()
    state = _state(size)
    await checkpointer.save(state, "big-thread", metadata={"size": size})
    assert await checkpointer.load("big-thread") == state


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
async def test_versioned_puts_and_gets_large_checkpoints(store: Store, size: int) -> None:
    saver = store.versioned()
    data = _state(size).to_checkpoint()
    await saver.put(thread_id="big", checkpoint_id="v1", checkpoint_data=data)
    found = await saver.get(thread_id="big", checkpoint_id="v1")
    assert found is not None
    assert found["checkpoint"] == data


async def test_empty_strings_round_trip(store: Store) -> None:
    checkpointer = store.latest()
    state = AgentState(
        run_id="run-1",
        messages=(Message(role=Role.ASSISTANT, content=""), Message(role=Role.USER, content="x")),
        metadata={"note": ""},
    )
    metadata = {"source": "", "tags": ["", "a"], "nested": {"empty": ""}}
    await checkpointer.save(state, "t-empty", metadata=metadata)
    assert await checkpointer.load("t-empty") == state
    record = await checkpointer.get_metadata("t-empty")
    assert record is not None
    assert record["metadata"] == metadata

    saver = store.versioned()
    await saver.put(
        thread_id="t-empty", checkpoint_ns="", checkpoint_id="c1", checkpoint_data={"s": ""}
    )
    found = await saver.get(thread_id="t-empty", checkpoint_ns="")
    assert found is not None
    assert found["checkpoint"] == {"s": ""}
    assert await saver.get(thread_id="t-empty") is None  # "" is not the default namespace


NUMBERS: dict[str, Any] = {
    "int": 2,
    "negative": -3,
    "zero": 0,
    "large_int": 2**53 + 1,
    "float": 0.5,
    "third": 1 / 3,
    "small": 1e-7,
    "large_float": 123456789.125,
    "nested": [1, 2.5, {"deep": -0.125}],
    "flag": True,
    "none": None,
}


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


async def test_ints_and_floats_keep_their_python_types(store: Store) -> None:
    checkpointer = store.latest()
    await checkpointer.save(AgentState(run_id="r"), "t-numbers", metadata=NUMBERS)
    record = await checkpointer.get_metadata("t-numbers")
    assert record is not None
    assert record["metadata"] == NUMBERS
    assert _types(record["metadata"]) == _types(NUMBERS)

    saver = store.versioned()
    await saver.put(thread_id="t-numbers", checkpoint_id="c1", checkpoint_data=NUMBERS)
    found = await saver.get(thread_id="t-numbers")
    assert found is not None
    assert _types(found["checkpoint"]) == _types(NUMBERS)


async def test_typed_float_fields_come_back_as_floats(store: Store) -> None:
    checkpointer = store.latest()
    state = AgentState(run_id="r", confidence=1.0, confidence_history=(0.0, 1.0))
    await checkpointer.save(state, "t-float")
    loaded = await checkpointer.load("t-float")
    assert loaded == state
    assert loaded is not None
    assert type(loaded.confidence) is float


async def test_integral_floats_in_free_form_values(store: Store) -> None:
    """Integral floats come back equal, but not always as ``float``.

    Oracle's ``NUMBER`` keeps no trace of 2.0 versus 2, and PostgreSQL's ``jsonb``
    writes 1.5e20 as 150000000000000000000; only SQLite keeps the JSON text as sent.
    Typed fields (``AgentState.confidence``) are restored as floats regardless.
    """
    checkpointer = store.latest()
    metadata = {"score": 2.0, "list": [1.0], "huge": 1.5e20}
    await checkpointer.save(AgentState(run_id="r"), "t-integral", metadata=metadata)
    record = await checkpointer.get_metadata("t-integral")
    assert record is not None
    assert record["metadata"] == metadata
    expected = {
        "sqlite": {"score": "float", "list": ["float"], "huge": "float"},
        "postgresql": {"score": "float", "list": ["float"], "huge": "int"},
        "oracle": {"score": "int", "list": ["int"], "huge": "int"},
    }[store.dialect_name]
    assert _types(record["metadata"]) == expected
