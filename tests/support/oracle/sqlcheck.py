"""Compile a statement for Oracle and parse it with sqlglot, so syntax slips fail here.

sqlglot's Oracle grammar lacks two things our statements hold, so `read_oracle` checks
them itself, against the documentation, before parsing the rest:

- the approximate row limit of a vector search, ``FETCH APPROX FIRST n ROWS ONLY``
  (SQL Language Reference, SELECT, row_limiting_clause: "Specify APPROX or APPROXIMATE
  to perform approximate vector search"; "you must specify rowcount and ROW or ROWS";
  not with ``percent`` or ``WITH TIES``; "must be associated with an ORDER BY clause";
  "The first key of the ORDER BY must be a distance function (VECTOR_DISTANCE or
  variant), which must have one and only one vector column operand"). Each is checked
  so, then read as the exact ``FETCH FIRST`` it otherwise is;
- a bind named ``:fetch``, which sqlglot takes for its keyword (Oracle does not reserve
  FETCH: SQL Language Reference, "Oracle SQL Reserved Words"); it is read as ``:fetch_``.
"""

from __future__ import annotations

import re

import sqlglot
from sqlalchemy.dialects.oracle import oracledb
from sqlalchemy.sql import ClauseElement
from sqlglot import exp

ORACLE_IDENTIFIER_LIMIT = 128
#: SQL Language Reference, "Oracle SQL Reserved Words": not usable as a nonquoted
#: identifier, nor as a bind name (ORA-01745: invalid host/bind variable name).
# fmt: off
ORACLE_RESERVED_WORDS = frozenset(
    (
        "ACCESS", "ADD", "ALL", "ALTER", "AND", "ANY", "AS", "ASC", "AUDIT", "BETWEEN",
        "BY", "CHAR", "CHECK", "CLUSTER", "COLUMN", "COLUMN_VALUE", "COMMENT",
        "COMPRESS", "CONNECT", "CREATE", "CURRENT", "DATE", "DECIMAL", "DEFAULT",
        "DELETE", "DESC", "DISTINCT", "DROP", "ELSE", "EXCLUSIVE", "EXISTS", "FILE",
        "FLOAT", "FOR", "FROM", "GRANT", "GROUP", "HAVING", "IDENTIFIED", "IMMEDIATE",
        "IN", "INCREMENT", "INDEX", "INITIAL", "INSERT", "INTEGER", "INTERSECT", "INTO",
        "IS", "LEVEL", "LIKE", "LOCK", "LONG", "MAXEXTENTS", "MINUS", "MLSLABEL",
        "MODE", "MODIFY", "NESTED_TABLE_ID", "NOAUDIT", "NOCOMPRESS", "NOT", "NOWAIT",
        "NULL", "NUMBER", "OF", "OFFLINE", "ON", "ONLINE", "OPTION", "OR", "ORDER",
        "PCTFREE", "PRIOR", "PUBLIC", "RAW", "RENAME", "RESOURCE", "REVOKE", "ROW",
        "ROWID", "ROWNUM", "ROWS", "SELECT", "SESSION", "SET", "SHARE", "SIZE",
        "SMALLINT", "START", "SUCCESSFUL", "SYNONYM", "SYSDATE", "TABLE", "THEN", "TO",
        "TRIGGER", "UID", "UNION", "UNIQUE", "UPDATE", "USER", "VALIDATE", "VALUES",
        "VARCHAR", "VARCHAR2", "VIEW", "WHENEVER", "WHERE", "WITH",
    )
)
# fmt: on
_APPROX_FETCH = re.compile(r"\bFETCH\s+(?:APPROX|APPROXIMATE)\s+(?=FIRST\b|NEXT\b)", re.IGNORECASE)
_APPROX_ROW_LIMIT = re.compile(
    r"\bFETCH\s+(?:APPROX|APPROXIMATE)\s+(?:FIRST|NEXT)\s+(?::\w+|\d+)\s+ROWS?\s+ONLY\b",
    re.IGNORECASE,
)
_FETCH_BIND = re.compile(r":fetch\b")
_DISTANCE_FUNCTIONS = frozenset(
    {"VECTOR_DISTANCE", "L1_DISTANCE", "L2_DISTANCE", "COSINE_DISTANCE", "INNER_PRODUCT"}
)


def approximate_row_limits(sql: str) -> int:
    """How many approximate row limits ``sql`` holds, each checked against the grammar."""
    found = len(_APPROX_FETCH.findall(sql))
    written = len(_APPROX_ROW_LIMIT.findall(sql))
    assert found == written, f"an approximate row limit Oracle does not document: {sql}"
    return found


def _first_order_key(select: exp.Select) -> exp.Expression | None:
    order = select.args.get("order")
    return order.expressions[0].this if order is not None and order.expressions else None


def _is_distance_of_one_column(node: exp.Expression | None) -> bool:
    if not isinstance(node, exp.Anonymous) or node.name.upper() not in _DISTANCE_FUNCTIONS:
        return False
    columns = [a for a in node.expressions[:2] if isinstance(a, exp.Column)]
    return len(columns) == 1


def read_oracle(sql: str) -> exp.Expression:
    """``sql`` parsed by sqlglot, its approximate row limits and ``:fetch`` binds checked first.

    Every approximate row limit must end a query block whose first ORDER BY key is a
    distance function of exactly one column.
    """
    approximate = approximate_row_limits(sql)
    tree = sqlglot.parse_one(
        _FETCH_BIND.sub(":fetch_", _APPROX_FETCH.sub("FETCH ", sql)), read="oracle"
    )
    nearest = [
        select
        for select in tree.find_all(exp.Select)
        if isinstance(select.args.get("limit"), exp.Fetch)
        and _is_distance_of_one_column(_first_order_key(select))
    ]
    assert len(nearest) >= approximate, f"FETCH APPROX without a distance ORDER BY: {sql}"
    assert isinstance(tree, exp.Expression)
    return tree


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
    read_oracle(sql)  # raises ParseError on a syntax slip
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
