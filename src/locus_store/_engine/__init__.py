"""The engine layer: everything between `Store` and the drivers.

Engine creation and the JSON codec, the retry policy (which driver errors mean a dead
connection, and what a failure in each phase of a call means), the fast path for
repeated single statements, SQLite connections and Oracle's sessions, binds and errors.
Nothing above this package touches a driver.
"""
