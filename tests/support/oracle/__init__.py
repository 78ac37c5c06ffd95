"""The fake python-oracledb driver and what it answers with: Oracle's documented behaviour."""
