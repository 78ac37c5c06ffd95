"""The reliability suite's Hypothesis profiles, and the ``machine_settings`` fixture.

Two Hypothesis profiles, used by the stateful tests through the ``machine_settings``
fixture (never loaded globally, so other property tests keep their own settings):

- ``reliability``: the bounded default run (CI);
- ``reliability-long``: ``pytest --long``, many more and longer random programs.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings

_COMMON: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
    "print_blob": True,
}
settings.register_profile("reliability", max_examples=40, stateful_step_count=40, **_COMMON)
settings.register_profile("reliability-long", max_examples=400, stateful_step_count=80, **_COMMON)


@pytest.fixture(scope="session")
def machine_settings(long_run: bool) -> settings:
    return settings.get_profile("reliability-long" if long_run else "reliability")
