"""Every delivery and fault test runs twice: with the MQTT fast path and with paho's own client."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["on", "off"], ids=["fast-path", "stock-paho"])
def mqtt_fast_path(request: pytest.FixtureRequest) -> str:
    return str(request.param)
