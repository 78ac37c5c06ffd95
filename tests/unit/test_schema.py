"""The schema as declared: prefixes, names, and per-dialect column types."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import oracle, postgresql, sqlite
from sqlalchemy.schema import CreateTable

from locus_store import InvalidPrefixError, Store
from locus_store.schema.tables import MAX_PREFIX_LENGTH, ORACLE_IDENTIFIER_LIMIT, schema_for

BAD_PREFIXES = [
    "",
    "x; DROP TABLE y",
    "Locus",
    "1abc",
    "_abc",
    "a-b",
    "a b",
    "a" * (MAX_PREFIX_LENGTH + 1),
    "ünïcode",
    'a"b',
    None,
    42,
]


@pytest.mark.parametrize("prefix", BAD_PREFIXES)
def test_bad_prefix_is_refused_with_value_error(prefix: object) -> None:
    with pytest.raises(InvalidPrefixError) as info:
        schema_for(prefix)
    assert isinstance(info.value, ValueError)


def test_bad_prefix_is_refused_before_an_engine_is_built() -> None:
    with pytest.raises(ValueError, match="invalid table prefix"):
        Store.from_url("sqlite://", table_prefix="x; DROP TABLE y")


@pytest.mark.parametrize(
    "prefix", ["locus", "a", "locus_notebook_12_live", "p" * MAX_PREFIX_LENGTH]
)
def test_every_generated_name_fits_oracle_identifier_limit(prefix: str) -> None:
    names = schema_for(prefix).identifiers()
    assert len(names) >= 10
    assert all(name.startswith(prefix) for name in names), names
    assert max(len(name.encode()) for name in names) <= ORACLE_IDENTIFIER_LIMIT - len("DR$$I")
    assert {f"{prefix}_lg_checkpoints", f"{prefix}_lg_blobs", f"{prefix}_lg_writes"} <= set(names)
    assert f"{prefix}_lg_checkpoints_run_ix" in names


def test_several_prefixes_coexist_with_their_own_metadata() -> None:
    a, b = schema_for("alpha"), schema_for("beta")
    assert a.metadata is not b.metadata
    assert {t.name for t in a.metadata.sorted_tables} == {
        "alpha_threads",
        "alpha_checkpoints",
        "alpha_writes",
        "alpha_lg_checkpoints",
        "alpha_lg_blobs",
        "alpha_lg_writes",
        "alpha_memory_items",
        "alpha_memory_vectors",
        "alpha_memory_config",
    }
    assert {t.name for t in b.metadata.sorted_tables} == {
        "beta_threads",
        "beta_checkpoints",
        "beta_writes",
        "beta_lg_checkpoints",
        "beta_lg_blobs",
        "beta_lg_writes",
        "beta_memory_items",
        "beta_memory_vectors",
        "beta_memory_config",
    }
    assert schema_for("alpha") is a


def _ddl(dialect: object) -> str:
    s = schema_for("locus")
    return "\n".join(str(CreateTable(t).compile(dialect=dialect)) for t in s.metadata.sorted_tables)  # type: ignore[arg-type]


def test_oracle_columns_are_native_json_and_zoned_timestamps_never_date() -> None:
    ddl = _ddl(oracle.dialect())
    assert "state JSON NOT NULL" in ddl
    assert "checkpoint JSON NOT NULL" in ddl
    assert "TIMESTAMP WITH TIME ZONE" in ddl
    assert " DATE" not in ddl
    assert "search_text CLOB" in ddl


def test_postgresql_uses_jsonb_and_timestamptz() -> None:
    ddl = _ddl(postgresql.dialect())
    assert "state JSONB NOT NULL" in ddl
    assert "created_at TIMESTAMP WITH TIME ZONE NOT NULL" in ddl


def test_sqlite_stores_json_as_text_affinity() -> None:
    ddl = _ddl(sqlite.dialect())
    assert "state JSON NOT NULL" in ddl


def test_checkpoints_have_a_unique_per_thread_sequence_index() -> None:
    table = schema_for("locus").checkpoints
    seq_index = next(ix for ix in table.indexes if ix.name == "locus_checkpoints_seq_ux")
    assert seq_index.unique
    assert [c.name for c in seq_index.columns] == ["thread_id", "checkpoint_ns", "seq"]
    assert [c.name for c in table.primary_key.columns] == [
        "thread_id",
        "checkpoint_ns",
        "checkpoint_id",
    ]
