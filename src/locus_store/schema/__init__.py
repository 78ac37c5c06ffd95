"""Schema: portable column types, the declarative tables, and search index DDL."""

from locus_store.schema.tables import Schema, schema_for, validate_prefix

__all__ = ["Schema", "schema_for", "validate_prefix"]
