"""The kiosk's clock reading must be honest about whether the wall clock can be trusted."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from firmware_sim.mock_kiosk import rtc_less_clock
from kiosk.core.clock import Clock, kernel_clock_synced

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_kernel_status_is_read_on_linux() -> None:
    # This machine's answer is whatever its NTP state is; it must be an answer, not "unknown".
    assert kernel_clock_synced() in (True, False)


def test_auto_follows_the_kernel() -> None:
    assert Clock("auto", wall=lambda: NOW, kernel_synced=lambda: True).synced()
    assert not Clock("auto", wall=lambda: NOW, kernel_synced=lambda: False).synced()


def test_a_wall_clock_in_1970_is_never_synced() -> None:
    epoch = datetime(1970, 1, 1, 0, 5, tzinfo=UTC)
    assert not Clock("auto", wall=lambda: epoch, kernel_synced=lambda: True).synced()


def test_unknown_kernel_status_trusts_a_plausible_clock() -> None:
    assert Clock("auto", wall=lambda: NOW, kernel_synced=lambda: None).synced()


def test_overrides() -> None:
    assert Clock("yes", kernel_synced=lambda: False).synced()
    assert not Clock("no", wall=lambda: NOW, kernel_synced=lambda: True).synced()


def test_uptime_is_monotonic_and_boot_id_is_per_start() -> None:
    ticks = iter([100.0, 100.0, 103.5])
    clock = Clock("yes", monotonic=lambda: next(ticks))
    assert clock.uptime_ms() == 0
    _, reading = clock.reading()
    assert reading.uptime_ms == 3500
    assert reading.boot_id == clock.boot_id
    assert Clock("yes").boot_id != clock.boot_id


def test_raspberry_pi_without_rtc_boots_in_1970_until_ntp() -> None:
    clock = rtc_less_clock(sync_after_s=None)
    at, reading = clock.reading()
    assert at.year == 1970
    assert not reading.synced
    synced = rtc_less_clock(sync_after_s=0)
    at, reading = synced.reading()
    assert at.year >= 2025
    assert reading.synced


def test_ntp_delay_counts_from_the_fleet_start_so_a_later_reboot_syncs_at_once() -> None:
    fleet_started = time.time() - 20
    rebooted = rtc_less_clock(sync_after_s=12, since=fleet_started)
    assert rebooted.reading()[1].synced
    early = rtc_less_clock(sync_after_s=12, since=time.time())
    assert early.reading()[0].year == 1970
