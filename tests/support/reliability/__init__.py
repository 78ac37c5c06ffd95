"""The reliability suite's helpers: hostile values, models, state machines, worker processes."""
