"""Fixtures live in plugins under tests/fixtures/, one per service."""

pytest_plugins = [
    "tests.fixtures.fix_dirs",
    "tests.fixtures.fix_postgres",
    "tests.fixtures.fix_mosquitto",
    "tests.fixtures.fix_api",
    "tests.fixtures.fix_collector",
    "tests.fixtures.fix_kiosk_mqtt",
    "tests.fixtures.fix_pg_cluster",
    "tests.fixtures.fix_pg_archive",
    "tests.fixtures.fix_timescaledb",
    "tests.fixtures.fix_kiosk",
    "tests.fixtures.fix_secured",
    "tests.fixtures.fix_board",
]
