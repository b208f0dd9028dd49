"""The provisioning reconciler while the database is away (a restart): one warning line, no traceback, and
it carries on by itself."""

from __future__ import annotations

import asyncio
import logging

import pytest

from collector.config import CollectorSettings
from collector.provisioning.reconciler import Reconciler
from devstack.processes import free_port


def test_a_database_outage_is_one_line_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    settings = CollectorSettings(
        database_url=f"postgresql://mlf@127.0.0.1:{free_port()}/mlf", provisioning_interval_s=0.05
    )
    reconciler = Reconciler(settings, publish=None)

    async def three_rounds() -> None:
        task = asyncio.create_task(reconciler.run())
        await asyncio.sleep(0.5)
        task.cancel()

    with caplog.at_level(logging.WARNING, logger="collector.provisioning.reconciler"):
        asyncio.run(three_rounds())
    records = [r for r in caplog.records if r.name == "collector.provisioning.reconciler"]
    assert len(records) >= 2, "the reconciler stopped after the first failure"
    for record in records:
        assert record.exc_info is None
        assert "database unavailable" in record.getMessage()
        assert "\n" not in record.getMessage()
