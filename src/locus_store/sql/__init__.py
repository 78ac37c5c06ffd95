"""Dialect constructs: each difference between Oracle, PostgreSQL and SQLite written once."""
