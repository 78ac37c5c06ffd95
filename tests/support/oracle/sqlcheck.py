"""Compile a statement for Oracle and parse it with sqlglot, so syntax slips fail here."""

from __future__ import annotations

import re

import sqlglot
from sqlalchemy.dialects.oracle import oracledb
from sqlalchemy.sql import ClauseElement

ORACLE_IDENTIFIER_LIMIT = 128


def oracle_dialect() -> oracledb.OracleDialect_oracledb:
    """The async oracledb dialect as it is after connecting to a 23ai server."""
    dialect = oracledb.dialect()
    dialect.server_version_info = (23, 5)
    dialect._supports_oracle_json = True
    return dialect


def compile_for_oracle(statement: ClauseElement) -> str:
    compiled = statement.compile(
        dialect=oracle_dialect(), compile_kwargs={"render_postcompile": True}
    )
    return str(compiled)


def assert_parses_as_oracle(statement: ClauseElement) -> str:
    """Return the Oracle SQL of ``statement`` after checking that sqlglot parses it."""
    sql = compile_for_oracle(statement)
    sqlglot.parse_one(sql, read="oracle")  # raises ParseError on a syntax slip
    for name in re.findall(r'"([^"]+)"|\b([A-Za-z_][A-Za-z0-9_$#]*)\b', sql):
        ident = name[0] or name[1]
        assert len(ident.encode()) <= ORACLE_IDENTIFIER_LIMIT, ident
    return sql


#: A time zone literal given to ``FROM_TZ(..., 'zone')`` or ``AT TIME ZONE 'zone'``.
_ZONE_LITERALS = re.compile(
    r"FROM_TZ\s*\((?:[^()]|\([^()]*(?:\([^()]*\))?[^()]*\))*?,\s*'([^']*)'\s*\)"
    r"|AT\s+TIME\s+ZONE\s+'([^']*)'",
    re.IGNORECASE,
)
_OFFSET = re.compile(r"[+-]\d\d:\d\d")


def zone_literals(sql: str) -> list[str]:
    """Every time zone ``sql`` names in ``FROM_TZ`` or ``AT TIME ZONE`` (any text: PL/SQL too)."""
    return [a or b for a, b in _ZONE_LITERALS.findall(sql)]


def region_names(sql: str) -> list[str]:
    """Time zones ``sql`` gives by name: thin mode cannot fetch such values (DPY-3022)."""
    return [zone for zone in zone_literals(sql) if not _OFFSET.fullmatch(zone)]
