"""`MemoryItems` on Oracle through the fake driver: what is sent, what comes back, how often.

The store runs on the ``oracle_store`` fixture (SQLAlchemy's real Oracle dialect over the
fake driver) with :class:`~tests.support.oracle.oracle_memory.MemoryServer` as the
server: it keeps what the MERGEs write and answers each query by evaluating its SQL, so a
search finds what a put stored through the driver's bind and fetch paths, and a result's
order is only what the statement's ORDER BY guarantees.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from array import array
from typing import Any

import pytest

from locus_store import Store
from locus_store.memory.items import ItemPut, MemoryItems
from locus_store.memory.statements import Scope, text_search_statement
from locus_store.ops.oracle_review import oracle_dialect
from locus_store.schema.types import EMPTY_STRING_SENTINEL
from tests.support.oracle.fake_driver import FakeDriver, Sent
from tests.support.oracle.oracle_memory import MemoryServer, vector_distance
from tests.support.oracle.sqlcheck import read_oracle

DIMS = 3
U1, U2, T1 = ("users", "u1"), ("users", "u2"), ("teams", "t1")
EAST, NORTH, NORTH_EAST = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.7, 0.7, 0.0]


@pytest.fixture(params=["cosine"])
async def served(
    request: pytest.FixtureRequest, oracle_store: tuple[Store, FakeDriver]
) -> tuple[MemoryItems, FakeDriver, MemoryServer]:
    """Memory on a fake Oracle migrated with ``DIMS`` dimensions, connected and configured."""
    store, driver = oracle_store
    server = MemoryServer(store.schema, dims=DIMS, distance=request.param)
    driver.server_rules.append(server)
    items = MemoryItems(store)
    await items.vector_settings()  # the first connection and the config row
    driver.reset_trips()
    driver.sent.clear()
    return items, driver, server


def _merges(driver: FakeDriver, table: str) -> list[Sent]:
    return [s for s in driver.statements if s.sql.startswith(f"MERGE INTO {table} ")]


def _kinds(driver: FakeDriver) -> list[str]:
    return [kind for kind, _ in driver.store_trips]


async def _put_three(items: MemoryItems) -> None:
    await items.put(
        [
            ItemPut(U1, "east", {"text": "billing address changed"}, embeddings={"$": EAST}),
            ItemPut(U1, "", {"text": "the empty key"}, embeddings={"$": NORTH}),
            ItemPut(U2, "ne", {"text": "billing again"}, embeddings={"$": NORTH_EAST}),
        ]
    )


async def _put_three_then_listen(items: MemoryItems, driver: FakeDriver) -> None:
    """`_put_three`, then forget what it sent: the test's own call is what is recorded."""
    await _put_three(items)
    driver.reset_trips()
    driver.sent.clear()


# -- writes --------------------------------------------------------------------------


async def test_a_put_with_embeddings_sends_one_merge_per_table_as_thin_mode_binds(
    served: tuple[MemoryItems, FakeDriver, MemoryServer],
) -> None:
    items, driver, _server = served
    await _put_three(items)
    [item_merge] = _merges(driver, "locus_memory_items")
    [vector_merge] = _merges(driver, "locus_memory_vectors")
    rows = item_merge.parameters
    assert isinstance(rows, list)
    assert len(rows) == 3  # one executemany
    by_key = {row["key"]: row for row in rows}
    assert set(by_key) == {"east", EMPTY_STRING_SENTINEL, "ne"}  # '' would be NULL
    east = by_key["east"]
    assert east["namespace"] == "users/u1"
    assert json.loads(east["value"]) == {"text": "billing address changed"}  # JSON text
    assert east["now"].tzinfo is None  # naive UTC, marked by FROM_TZ(..., '+00:00')
    assert east["expires_at"] is None
    assert east["ttl_seconds"] is None
    for row in vector_merge.parameters:
        embedding = row["embedding"]
        assert isinstance(embedding, array)
        assert embedding.typecode == "f"
        assert len(embedding) == DIMS
        assert row["stamp"] == by_key[row["key"]]["stamp"]
    assert "embedding" not in vector_merge.input_sizes


async def test_a_put_with_embeddings_costs_its_two_statements_the_commit_riding_the_last(
    served: tuple[MemoryItems, FakeDriver, MemoryServer],
) -> None:
    items, driver, _server = served
    await _put_three(items)
    # The last statement is sent with COMMIT_WITH_THIS: no commit message of its own.
    assert _kinds(driver) == ["execute", "execute"]


async def test_a_put_without_embeddings_is_one_round_trip(
    served: tuple[MemoryItems, FakeDriver, MemoryServer],
) -> None:
    items, driver, _server = served
    await items.put([ItemPut(U1, "plain", {"text": "no vector"})])
    assert _kinds(driver) == ["execute"]


async def test_a_second_put_bumps_the_version_and_keeps_created_at(
    served: tuple[MemoryItems, FakeDriver, MemoryServer],
) -> None:
    items, _driver, _server = served
    await items.put([ItemPut(U1, "k", {"n": 1})])
    first = (await items.get([(U1, "k")]))[(U1, "k")]
    await items.put([ItemPut(U1, "k", {"n": 2})])
    second = (await items.get([(U1, "k")]))[(U1, "k")]
    assert (first.version, second.version) == (1, 2)
    assert second.value == {"n": 2}
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at


# -- reads ---------------------------------------------------------------------------


async def test_get_returns_what_was_put_in_an_execute_and_a_fetch(
    served: tuple[MemoryItems, FakeDriver, MemoryServer],
) -> None:
    items, driver, _server = served
    await _put_three_then_listen(items, driver)
    found = await items.get([(U1, "east"), (U1, ""), (U2, "missing")])
    # JSON columns are not prefetched with the execute: one fetch follows.
    assert _kinds(driver) == ["execute", "fetch"]
    assert set(found) == {(U1, "east"), (U1, "")}
    east, empty = found[(U1, "east")], found[(U1, "")]
    assert east.value == {"text": "billing address changed"}
    assert empty.key == ""
    assert empty.value == {"text": "the empty key"}
    assert east.created_at.tzinfo == dt.UTC
    assert east.version == 1
    [sent] = [s for s in driver.statements if s.sql.startswith("SELECT")]
    assert EMPTY_STRING_SENTINEL in sent.parameters.values()


async def test_get_of_one_key_is_one_equality_statement_in_an_execute_and_a_fetch(
    served: tuple[MemoryItems, FakeDriver, MemoryServer],
) -> None:
    items, driver, _server = served
    await _put_three_then_listen(items, driver)
    found = await items.get([(U1, "")])
    assert _kinds(driver) == ["execute", "fetch"]
    assert found[(U1, "")].value == {"text": "the empty key"}
    [sent] = driver.statements
    assert " IN (" not in sent.sql
    assert sent.parameters["key"] == EMPTY_STRING_SENTINEL  # '' is NULL to Oracle
    assert await items.get([(U2, "missing")]) == {}


async def test_deletes_and_refreshes_count_the_rows_the_server_changed(
    served: tuple[MemoryItems, FakeDriver, MemoryServer],
) -> None:
    items, _driver, server = served
    await items.put([ItemPut(U1, "kept", {"text": "a"}, ttl=dt.timedelta(minutes=5))])
    await _put_three(items)
    stored = server.rows[items.store.schema.memory_items.name]
    assert await items.delete([(U1, "east"), (U2, "missing")]) == 1
    assert await items.delete([(U1, "east")]) == 0
    assert ("users/u1", "east") not in {(r["NAMESPACE"], r["KEY"]) for r in stored.values()}
    [kept] = [r for r in stored.values() if r["KEY"] == "kept"]
    before = kept["EXPIRES_AT"]
    found = await items.get([(U1, "kept")], refresh_ttl=True)
    assert found[(U1, "kept")].key == "kept"
    [kept] = [r for r in stored.values() if r["KEY"] == "kept"]
    assert kept["EXPIRES_AT"] != before  # the refresh's UPDATE moved the expiry
    assert await items.clear_namespace(U1) == 2
    assert {r["NAMESPACE"] for r in stored.values()} == {"users/u2"}


async def test_embeddings_come_back_as_the_float32_values_stored(
    served: tuple[MemoryItems, FakeDriver, MemoryServer],
) -> None:
    items, _driver, _server = served
    await items.put([ItemPut(U1, "k", {"t": 1}, embeddings={"$": [0.1, 0.2, 0.3]})])
    stored = (await items.embeddings(U1, "k"))["$"]
    assert stored == [float(x) for x in array("f", [0.1, 0.2, 0.3])]


async def test_vector_search_ranks_each_namespace_nearest_first_in_one_statement(
    served: tuple[MemoryItems, FakeDriver, MemoryServer],
) -> None:
    items, driver, server = served
    await _put_three(items)
    driver.reset_trips()
    u1, u2, t1 = await items.vector_search([U1, U2, T1], EAST, limit=5)
    assert _kinds(driver) == ["execute", "fetch"]
    assert [r.key for r in u1] == ["east", ""]
    assert [r.key for r in u2] == ["ne"]
    assert t1 == []
    expected = vector_distance(array("f", NORTH_EAST), array("f", EAST), "COSINE")
    assert expected is not None
    assert math.isclose(u2[0].distance or 0.0, expected)
    [sql] = server.answered[-1:]
    assert sql.count("FETCH APPROX FIRST :fetch ROWS ONLY") == 3
    [search] = [s for s in driver.statements if "vector_distance" in s.sql]
    query = search.parameters["vector"]
    assert isinstance(query, array)
    assert query.typecode == "f"
    assert list(query) == EAST
    assert search.parameters["fetch"] >= 5


@pytest.mark.parametrize(
    ("distance", "metric"), [("cosine", "COSINE"), ("dot", "DOT"), ("l2", "EUCLIDEAN")]
)
async def test_vector_search_measures_with_the_migrated_metric(
    oracle_store: tuple[Store, FakeDriver], distance: str, metric: str
) -> None:
    store, driver = oracle_store
    driver.server_rules.append(MemoryServer(store.schema, dims=DIMS, distance=distance))
    items = MemoryItems(store)
    await items.put([ItemPut(U1, "ne", {"t": 1}, embeddings={"$": NORTH_EAST})])
    [[hit]] = await items.vector_search([U1], EAST)
    assert f"vector_distance(locus_memory_vectors.embedding, :vector, {metric})" in (
        driver.statements[-1].sql
    )
    expected = vector_distance(array("f", NORTH_EAST), array("f", EAST), metric)
    assert expected is not None
    assert math.isclose(hit.distance or 0.0, expected, rel_tol=1e-6)


async def test_text_search_ranks_each_namespace_best_first(
    served: tuple[MemoryItems, FakeDriver, MemoryServer],
) -> None:
    items, driver, _server = served
    await items.put(
        [
            ItemPut(U1, "once", {"text": "billing"}),
            ItemPut(U1, "thrice", {"text": "billing billing billing"}),
            ItemPut(U1, "twice", {"text": "billing and billing"}),
            ItemPut(U2, "other", {"text": "billing here"}),
            ItemPut(U2, "none", {"text": "nothing to see"}),
        ]
    )
    driver.reset_trips()
    u1, u2 = await items.text_search([U1, U2], "billing")
    assert _kinds(driver) == ["execute", "fetch"]
    assert [r.key for r in u1] == ["thrice", "twice", "once"]
    assert [r.key for r in u2] == ["other"]
    assert (u1[0].score or 0) > (u1[1].score or 0) > (u1[2].score or 0)


async def test_a_prefix_search_finds_only_namespaces_strictly_below_whatever_the_labels(
    served: tuple[MemoryItems, FakeDriver, MemoryServer],
) -> None:
    items, _driver, _server = served
    await items.put(
        [
            ItemPut(("50%_off",), "root", {"text": "billing"}),
            ItemPut(("50%_off", "a"), "below", {"text": "billing"}),
            ItemPut(("50%Xoff", "a"), "wildcard lookalike", {"text": "billing"}),
            ItemPut(("50%_offer",), "longer label", {"text": "billing"}),
        ]
    )
    [found] = await items.text_search([("50%_off",)], "billing", prefix=True)
    assert sorted(r.key for r in found) == ["below", "root"]


async def test_the_model_returns_the_ties_of_an_order_by_in_no_convenient_order() -> None:
    """Why the searches order the union by branch and by the branch's own keys again: with
    ``ORDER BY branch`` alone a server may return a branch's rows in any order."""
    from locus_store.schema.tables import schema_for

    schema = schema_for("locus")
    server = MemoryServer(schema, dims=DIMS)
    sql = str(
        text_search_statement(schema, "oracle", Scope(("users/u1", "users/u2"))).compile(
            dialect=oracle_dialect(), compile_kwargs={"render_postcompile": True}
        )
    )
    branch_only = re.sub(r"ORDER BY anon_1\.branch, .*$", "ORDER BY anon_1.branch", sql)
    assert branch_only != sql
    params: dict[str, Any] = {
        "param_1": 0,
        "param_2": 1,
        "query": "{billing}",
        "ns_0": "users/u1",
        "ns_1": "users/u2",
        "now": dt.datetime(2026, 1, 1),
        "offset": 0,
        "limit": 10,
    }
    stamp = dt.datetime(2025, 1, 1)
    for key, text in (("best", "billing billing"), ("next", "billing")):
        server.merge(
            "MERGE INTO locus_memory_items USING dual ON (locus_memory_items.namespace = "
            ":namespace AND locus_memory_items.key = :key) WHEN NOT MATCHED THEN INSERT "
            "(namespace, key, value, search_text, created_at, updated_at, version, stamp) "
            "VALUES (:namespace, :key, :value, :search_text, "
            "FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'), "
            "FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'), 1, :stamp)",
            {
                "namespace": "users/u1",
                "key": key,
                "value": "{}",
                "search_text": text,
                "now": stamp,
                "stamp": "s",
            },
        )
    ranked = [row["KEY"] for row in server.query(read_oracle(sql), params)]
    unordered = [row["KEY"] for row in server.query(read_oracle(branch_only), params)]
    assert ranked == ["best", "next"]
    assert unordered == ["next", "best"]
