"""`mlf-demo`: the whole system on this machine, on an embedded default.

PostgreSQL and mosquitto run from Debian's binaries with their data under `var/`,
then the collector, then a few simulated button kiosks pressing at random. It
prints where to look and, every few seconds, what the API reports. Ctrl-C stops
everything, in reverse order.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from devstack.mosquitto import LocalMosquitto
from devstack.postgres import LocalPostgres
from devstack.processes import can_reach, port_is_open, service_user

DATABASE = "mlf"
SHARED_DATA_ROOT = Path("/var/tmp")  # noqa: S108 - kept across reboots; each checkout gets its own folder


def _data_dir(var: Path, name: str, user: str | None) -> Path:
    """`var/<name>`, or, when the server's account cannot reach `var/` (root's home), a folder it can."""
    wanted = var / name
    if wanted.is_symlink() or can_reach(var, user):
        return wanted.resolve() if wanted.is_symlink() else wanted
    outside = SHARED_DATA_ROOT / f"mlf-demo-{hashlib.sha256(str(var).encode()).hexdigest()[:10]}"
    elsewhere = outside / name
    elsewhere.mkdir(parents=True, exist_ok=True)
    outside.chmod(0o755)
    wanted.symlink_to(elsewhere)
    print(f"  (the servers' account '{user}' cannot reach {var}; {name} data in {elsewhere}, linked from {wanted})")
    return elsewhere


def _get_json(url: str, key: str | None = None) -> object:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own loopback URL
    with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - our own loopback URL
        return json.load(response)


def _admin(env: dict[str, str], what: str, *args: str) -> str:
    """The last line `mlf-collector admin ARGS` prints (a token, a link)."""
    done = subprocess.run(
        [sys.executable, "-m", "collector.main", "admin", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"could not make {what}: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1]


DEMO_SERVICES = {
    "anagrafe": ("Anagrafe", "Registry office"),
    "carta-identita": ("Carta d'identità", "Identity card"),
    "stato-civile": ("Stato civile", "Civil status"),
    "tributi": ("Tributi (IMU, TARI)", "Local taxes"),
    "urp": ("URP", "Public relations office"),
    "protocollo": ("Protocollo", "Incoming mail"),
    "servizi-sociali": ("Servizi sociali", "Social services"),
}
"""The services the simulated citizens use (firmware_sim.citizens.SERVICES), with the names kiosks show."""


def _register_office(api: str, key: str, counters: int) -> None:
    """The demo's organisation, counters and services, registered before any kiosk rates: a touch kiosk
    can join a counter at once (README), and kiosks show "Carta d'identità", not "carta-identita".
    Kept from an earlier run: what exists already (409) is left as it is."""
    items = [("/v1/organisations", {"id": "demo", "name": "Comune demo", "timezone": "Europe/Rome"})]
    items += [
        ("/v1/organisations/demo/service-points", {"id": f"demo-sportello-{i}", "name": f"Sportello {i}"})
        for i in range(1, counters + 1)
    ]
    items += [
        ("/v1/organisations/demo/services", {"id": sid, "name": it, "name_en": en})
        for sid, (it, en) in DEMO_SERVICES.items()
    ]
    for path, body in items:
        request = urllib.request.Request(  # noqa: S310 - our own loopback URL
            api + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - our own loopback URL
        except urllib.error.HTTPError as exc:
            if exc.code != 409:
                raise RuntimeError(f"could not register the demo office ({path}): HTTP {exc.code}") from None


def _create_key(env: dict[str, str]) -> str:
    """An admin key for this demo, made with the operator CLI (`mlf-collector admin key create`)."""
    return _admin(env, "an API key", "key", "create", "--name", "mlf-demo", "--role", "admin")


def _sign_in_link(env: dict[str, str], key: str, api: str) -> str:
    """A one-time link to the board for the demo's key (`mlf-collector admin key sign-in-link`): never the key."""
    return _admin(env, "a sign-in link", "key", "sign-in-link", key.split("_")[1], "--base-url", api)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the collector stopped during start-up (its error is above)")
        try:
            _get_json(url)
            return
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.3)
    raise SystemExit(f"the collector did not become healthy at {url} within {timeout:.0f} s")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _stopping(name: str, stop: Callable[..., None], *args: object) -> None:
    """`stop(*args)`, saying what stops and how long it took (so a slow stop shows where it waits)."""
    print(f"  stopping {name} ...", flush=True)
    started = time.monotonic()
    stop(*args)
    print(f"  {name} stopped ({time.monotonic() - started:.1f} s)", flush=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C to a child (in a session of its own), then, if it has not stopped in 15 s, SIGKILL to its whole
    process group: the simulator's forked kiosks must not outlive it."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlf-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--var", type=Path, default=Path("var"), help="data folder (default: ./var)")
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--mqtt-port", type=int, default=11883)
    parser.add_argument("--pg-port", type=int, default=15432)
    parser.add_argument("--kiosks", type=int, default=3, help="simulated kiosks (default 3)")
    parser.add_argument("--interval", type=float, default=1.0, help="mean seconds between presses")
    parser.add_argument("--duration", type=float, default=None, help="stop by itself after this many seconds")
    args = parser.parse_args(argv)

    for name, port in (
        ("--api-port", args.api_port),
        ("--mqtt-port", args.mqtt_port),
        ("--pg-port", args.pg_port),
    ):
        if port_is_open(port):
            print(
                f"mlf-demo: error: port {port} is in use (is another demo running?); choose another with {name}",
                file=sys.stderr,
            )
            return 2
    var = args.var.resolve()
    var.mkdir(parents=True, exist_ok=True)
    user = service_user()
    api = f"http://127.0.0.1:{args.api_port}"
    env = {
        **os.environ,
        "COLLECTOR_DATABASE_URL": f"postgresql://mlf@127.0.0.1:{args.pg_port}/{DATABASE}",
        "COLLECTOR_MQTT_PORT": str(args.mqtt_port),
        "COLLECTOR_HTTP_PORT": str(args.api_port),
        # Rating links and posters (made from the board too) point at this demo, whatever its port.
        "COLLECTOR_PUBLIC_URL": os.environ.get("COLLECTOR_PUBLIC_URL", api),
        "COLLECTOR_MQTT_CLIENT_ID": "mlf-demo-collector",
        "COLLECTOR_LOG_LEVEL": "WARNING",
        # The demo's kiosks press far more often than citizens do: do not call that misuse.
        "COLLECTOR_MISUSE_MAX_PRESSES": "100",
    }
    signal.signal(signal.SIGTERM, _interrupt)
    # Ctrl-C stops the demo even when it was started with SIGINT ignored (a non-interactive shell's background
    # job, nohup, a test runner whose own Ctrl-C handling left it ignored): Python then leaves it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with ExitStack() as stack:
        try:
            print(f"Starting PostgreSQL on 127.0.0.1:{args.pg_port} ...")
            pg = LocalPostgres(_data_dir(var, "postgres", user), args.pg_port)
            pg.init()
            pg.stop_if_running()
            pg.start()
            stack.callback(_stopping, "PostgreSQL", pg.stop)
            pg.ensure_database(DATABASE)
            print(f"Starting mosquitto on 127.0.0.1:{args.mqtt_port} ...")
            mq = LocalMosquitto(_data_dir(var, "mosquitto", user), args.mqtt_port)
            mq.start()
            stack.callback(_stopping, "mosquitto", mq.stop)
            print(f"Starting the collector on {api} ...")
            # Children in sessions of their own: Ctrl-C reaches only us, and we stop them in order (kiosks,
            # collector, broker, database), so nothing is cut off mid-way.
            collector = subprocess.Popen([sys.executable, "-m", "collector.main"], env=env, start_new_session=True)
            stack.callback(_stopping, "the collector", _stop, collector)
            _wait_healthy(f"{api}/healthz", collector)
            key = _create_key(env)
            _register_office(api, key, args.kiosks)
            print(f"Starting {args.kiosks} simulated button kiosks ...")
            sims = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "firmware_sim.cli",
                    "--port",
                    str(args.mqtt_port),
                    "--org",
                    "demo",
                    "--data-dir",
                    str(var / "sim"),  # kiosk outboxes: sequence numbers go on across demo runs
                    "--quiet",
                    "run",
                    "--kiosks",
                    str(args.kiosks),
                    "--interval",
                    str(args.interval * args.kiosks),  # the simulator's interval is per kiosk
                    "--drain-timeout",
                    "10",
                ],
                start_new_session=True,
            )
            stack.callback(_stopping, "the simulated kiosks", _stop, sims)
            link = _sign_in_link(env, key, api)
            print(BANNER.format(api=api, mqtt=args.mqtt_port, pg=pg.dsn(DATABASE), var=var, key=key, link=link))
            started = time.monotonic()
            while args.duration is None or time.monotonic() - started < args.duration:
                time.sleep(5)
                if collector.poll() is not None:
                    print("mlf-demo: the collector stopped", file=sys.stderr)
                    return 1
                _report(api, key)
        except KeyboardInterrupt:
            print("\nStopping ...")
        except RuntimeError as exc:
            print(f"mlf-demo: error: {exc}", file=sys.stderr)
            return 2
    print("Stopped. Data is kept in", var, "(delete the folder to start afresh).")
    return 0


def _report(api: str, key: str) -> None:
    """One line: each demo service point's faces over its evaluation window, and its flag."""
    try:
        overview = _get_json(f"{api}/v1/overview?org=demo", key)
    except (urllib.error.URLError, OSError, ValueError):
        return
    assert isinstance(overview, dict)
    parts = []
    for row in sorted(overview["rows"], key=lambda r: r["service_point"]):
        c = row["counts"]
        flag = FLAGS.get(row["flag"]["state"], row["flag"]["state"])
        parts.append(
            f"{row['service_point'].removeprefix('demo-')}: {c['positive']}/{c['neutral']}/{c['negative']} {flag}"
        )
    if parts:
        print(time.strftime("%H:%M:%S"), "green/yellow/red  " + "   ".join(parts), flush=True)


FLAGS = {"below_target": "BELOW TARGET", "on_target": "on target", "not_enough_data": "(too few yet)"}

BANNER = """
The system is up.
  Board ......... {link}
                  (open it once within 30 minutes: it signs you in and stops working; later, sign in
                  at {api}/board with the key below)
  API ........... {api}        (interactive docs: {api}/docs)
  API key ....... {key}
                  (admin; make your own: see README, "Managers and integrators: the API")
  Overview ...... curl -H 'Authorization: Bearer {key}' '{api}/v1/overview?org=demo'
  Health ........ curl '{api}/healthz'
  MQTT broker ... 127.0.0.1:{mqtt}   (publish by hand: see docs/mqtt.md)
  PostgreSQL .... {pg}
  Data .......... {var}
Press Ctrl-C to stop.
"""


if __name__ == "__main__":
    sys.exit(main())
