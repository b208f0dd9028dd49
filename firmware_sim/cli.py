"""`mlf-sim`: simulated push-button kiosks against a real broker (and, behind it, the collector).

    mlf-sim press     one kiosk, N presses with a given mix, waits until the collector has them all
    mlf-sim run       a fleet of kiosks with citizens and faults, until --duration/--count or Ctrl-C
    mlf-sim backfill  months of history sent by each kiosk through the real protocol
    mlf-sim report    the state of the kiosk outboxes in a data folder

Every kiosk runs the real kiosk code (flow, durable outbox, MQTT link) on mock GPIO
pins, with its own identity and outbox under --data-dir. Without --data-dir a
temporary folder is used and removed at the end, unless something is still pending.
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from firmware_sim.backfill import BackfillPlan
from firmware_sim.citizens import ServicePointProfile, demo_fleet
from firmware_sim.fleet import Fleet
from firmware_sim.mock_kiosk import SIM_WIRING, CompressedTime, SimulatedButtonKiosk
from firmware_sim.network import FlakyNetwork
from firmware_sim.report import FleetReport, report_for, report_from_dir
from firmware_sim.scenario import Faults, LivePlan, run_backfill, run_live
from firmware_sim.worker import WorkerSpec
from kiosk.buttons.settings import ButtonKioskSettings
from kiosk.core.outbox import OutboxError
from protocol import Face

log = logging.getLogger("firmware_sim")


def parse_mix(text: str) -> tuple[float, float, float]:
    """`60:30:10` -> shares of positive, neutral, negative."""
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"mix {text!r} is not three numbers like 60:30:10") from None
    if len(parts) != 3 or min(parts) < 0 or sum(parts) <= 0:
        raise argparse.ArgumentTypeError(f"mix {text!r} is not three non-negative numbers like 60:30:10")
    total = sum(parts)
    return parts[0] / total, parts[1] / total, parts[2] / total


def faces_for(count: int, mix: tuple[float, float, float], seed: int) -> list[Face]:
    """Exactly `count` faces in the given proportions (largest remainder), in a shuffled order."""
    exact = [share * count for share in mix]
    counts = [int(x) for x in exact]
    for i in sorted(range(3), key=lambda i: exact[i] - counts[i], reverse=True)[: count - sum(counts)]:
        counts[i] += 1
    faces = [face for face, n in zip(Face, counts, strict=True) for _ in range(n)]
    random.Random(seed).shuffle(faces)
    return faces


@contextmanager
def data_folder(given: Path | None) -> Iterator[Path]:
    """`given`, or a temporary folder that is removed afterwards unless an outbox still holds ratings."""
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="mlf-sim-"))
    try:
        yield folder
    finally:
        if report_from_dir(folder).delivered:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"mlf-sim: undelivered ratings kept in {folder} (rerun with --data-dir {folder})", file=sys.stderr)


def kiosk_settings(args: argparse.Namespace, point: ServicePointProfile, data_dir: Path, port: int) -> dict[str, Any]:
    return {
        "kiosk_id": point.kiosk_id,
        "organisation": point.org,
        "service_point": point.id,
        "service": point.services[0] if point.services else None,
        "reasons": list(point.reasons),
        "data_dir": str(data_dir / point.kiosk_id),
        "mqtt_host": args.host,
        "mqtt_port": port,
        "cooldown_s": args.cooldown,
        "clock_synced": "yes",
        "resend_after_s": args.resend_after,
        "reconnect_max_s": 10.0,
        "heartbeat_interval_s": args.heartbeat,
        "send_window": args.window,
        "max_inflight": min(args.window, 1000),
        "gpio": SIM_WIRING.model_dump(),
    }


def _finish(report: FleetReport, args: argparse.Namespace) -> int:
    print(report.render())
    if args.json:
        report.write_json(args.json)
    return 0 if report.delivered else 1


def cmd_press(args: argparse.Namespace) -> int:
    point = ServicePointProfile(id=args.service_point, org=args.org, kiosk_id=args.kiosk)
    with data_folder(args.data_dir) as folder:
        # Three buttons and nothing else: each press is one rating, whatever the face.
        plain = SIM_WIRING.model_copy(update={"reason_buttons": [], "reason_leds": []})
        options = {
            **kiosk_settings(args, point, folder, args.port),
            "cooldown_s": 0.0,
            "service": None,
            "gpio": plain.model_dump(),
        }
        # Each press is another citizen, time compressed: no cooldown, even if the collector configures one.
        compressed = CompressedTime(args.count, args.spread) if args.spread else None
        clock = compressed.clock() if compressed else None
        sim = SimulatedButtonKiosk(ButtonKioskSettings(**options), clock, cooldown_override=0.0)
        sim.start()
        faces = faces_for(args.count, args.mix, args.seed)
        try:
            for face in faces:
                if compressed:
                    compressed.advance()
                sim.press(face)
                if args.interval:
                    time.sleep(args.interval)
            delivered = sim.kiosk.wait_until_delivered(args.wait_timeout) if args.wait_timeout else False
            stats = sim.kiosk.outbox.stats()
        finally:
            sim.stop()
        tally = {face.value: faces.count(face) for face in Face}
        print(
            f"pressed {len(faces)} on {args.kiosk} (instance {stats.instance}): {tally}; acknowledged by the "
            f"collector up to seq {stats.watermark} of {stats.last_seq}; still pending: {stats.depth}"
        )
        delivered = delivered and stats.delivered
        print("Everything was delivered." if delivered else "NOT everything was delivered yet.")
    return 0 if delivered else 1


def _fleet(args: argparse.Namespace, folder: Path, port: int, backfill: bool = False) -> tuple[Fleet, list[Any]]:
    points = demo_fleet(args.kiosks, org=args.org, seed=args.seed)
    specs = []
    wrong_count = min(getattr(args, "wrong_clock", 0), len(points))
    wrong = set(random.Random(args.seed).sample(range(len(points)), wrong_count))
    started = time.time()
    for i, point in enumerate(points):
        plan = None
        if backfill:
            plan = BackfillPlan(point, args.start, args.end, timezone=args.timezone, seed=args.seed * 1000 + i)
        specs.append(
            WorkerSpec(
                settings=kiosk_settings(args, point, folder, port),
                boot_in_1970=i in wrong,
                sync_after_s=getattr(args, "ntp_after", None),
                sync_since=started,
                log_file=str(folder / point.kiosk_id / "kiosk.log"),
                log_level=args.log_level,
                backfill=plan,
            )
        )
    return Fleet(specs), points


def cmd_run(args: argparse.Namespace) -> int:
    """A fleet with citizens and faults."""
    if args.kiosks < 1:
        raise ValueError("--kiosks must be at least 1")
    network = None
    port = args.port
    if args.outage_every:
        network = FlakyNetwork(args.host, args.port)
        port = network.start()
    faults = Faults(args.outage_every, args.outage_for, args.kill_every, args.restart_after)
    duration = args.duration if args.duration is not None or args.count is not None else None
    plan = LivePlan(
        duration_s=duration,
        citizens=args.count,
        interval_s=args.interval,
        office_hours=args.office_hours,
        timezone=args.timezone,
        mash_share=args.mash_share,
        drain_timeout_s=args.drain_timeout,
        faults=faults,
    )
    with data_folder(args.data_dir) as folder:
        fleet, points = _fleet(args, folder, port)
        try:
            run_live(fleet, points, plan, random.Random(args.seed), network, progress=not args.quiet)
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
        finally:
            if network:
                network.stop()
        return _finish(report_for(fleet), args)


def cmd_backfill(args: argparse.Namespace) -> int:
    if args.end <= args.start:
        raise ValueError("--to must be after --from")
    with data_folder(args.data_dir) as folder:
        fleet, _ = _fleet(args, folder, args.port, backfill=True)
        try:
            run_backfill(fleet, args.drain_timeout, progress=not args.quiet)
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
        return _finish(report_for(fleet), args)


def cmd_report(args: argparse.Namespace) -> int:
    if args.data_dir is None or not args.data_dir.is_dir():
        raise ValueError("report needs --data-dir pointing at a simulator data folder")
    return _finish(report_from_dir(args.data_dir), args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlf-sim", description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.epilog = "\n".join(__doc__.splitlines()[2:])
    parser.add_argument("--host", default="127.0.0.1", help="MQTT broker host")
    parser.add_argument("--port", type=int, default=11883, help="MQTT broker port (default: the demo's 11883)")
    parser.add_argument(
        "--org", default="sim", help="organisation id (default: sim, apart from the demo's own kiosks in demo)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same citizens)")
    parser.add_argument("--data-dir", type=Path, help="folder of the kiosks' outboxes (default: temporary)")
    parser.add_argument("--json", type=Path, help="also write the final report to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--cooldown", type=float, default=3.0, help="kiosks' minimum seconds between ratings")
    parser.add_argument("--resend-after", type=float, default=30.0, help="kiosks resend unconfirmed ratings after")
    parser.add_argument("--heartbeat", type=float, default=60.0, help="seconds between kiosk heartbeats")
    parser.add_argument(
        "--window", type=int, help="ratings a kiosk sends ahead of the watermark (default 5000; backfill 10000)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    press = sub.add_parser("press", help="press one kiosk N times with a given mix of faces")
    press.add_argument("--kiosk", default="sim-press-k1", help="kiosk id (default: apart from `run`'s kiosks)")
    press.add_argument("--service-point", default="sim-press-sportello-1")
    press.add_argument("--count", type=int, default=100)
    press.add_argument("--mix", type=parse_mix, default=(0.6, 0.3, 0.1), help="positive:neutral:negative")
    press.add_argument("--interval", type=float, default=0.0, help="seconds between presses")
    press.add_argument(
        "--spread",
        type=float,
        default=0.0,
        help="date the presses SPREAD seconds apart, ending now (e.g. 180: an hour of citizens every 3 minutes)",
    )
    press.add_argument("--wait-timeout", type=float, default=60.0, help="seconds to wait for the collector (0: no)")
    press.set_defaults(func=cmd_press, default_window=5000)

    run = sub.add_parser("run", help="a fleet of kiosks with citizens and faults")
    run.add_argument("--kiosks", type=int, default=3)
    run.add_argument("--interval", type=float, default=10.0, help="mean seconds between citizens at each kiosk")
    run.add_argument("--duration", type=float, help="seconds of pressing (default: until Ctrl-C)")
    run.add_argument("--count", type=int, help="stop after this many citizens")
    run.add_argument("--office-hours", action="store_true", help="citizens only come while the office is open")
    run.add_argument("--timezone", default="Europe/Rome", help="of the opening hours")
    run.add_argument("--mash-share", type=float, default=0.03, help="share of citizens who hammer the button")
    run.add_argument("--outage-every", type=float, help="cut the network between kiosks and broker every S seconds")
    run.add_argument("--outage-for", type=float, default=20.0, help="... for S seconds")
    run.add_argument("--kill-every", type=float, help="SIGKILL a random kiosk every S seconds")
    run.add_argument("--restart-after", type=float, default=3.0, help="... and restart it S seconds later")
    run.add_argument("--wrong-clock", type=int, default=0, help="N kiosks boot believing it is 1970 (no RTC)")
    run.add_argument("--ntp-after", type=float, default=30.0, help="... until NTP answers, S seconds into the run")
    run.add_argument("--drain-timeout", type=float, default=60.0, help="seconds to wait for delivery at the end")
    run.set_defaults(func=cmd_run, default_window=5000)

    backfill = sub.add_parser("backfill", help="send months of history through the kiosks (fast)")
    backfill.add_argument("--kiosks", type=int, default=3)
    backfill.add_argument("--from", dest="start", type=date.fromisoformat, required=True, help="first day")
    backfill.add_argument("--to", dest="end", type=date.fromisoformat, required=True, help="day after the last")
    backfill.add_argument("--timezone", default="Europe/Rome")
    backfill.add_argument("--drain-timeout", type=float, default=3600.0, help="seconds to wait for delivery")
    backfill.set_defaults(func=cmd_backfill, default_window=10_000)

    report = sub.add_parser("report", help="report on the kiosk outboxes in --data-dir")
    report.set_defaults(func=cmd_report)
    return parser


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # stopped by a service manager: as Ctrl-C, kiosks stopped in order
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C works even if started with it ignored
    if args.command != "report" and args.window is None:
        args.window = args.default_window
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except ValidationError as exc:
        error = exc.errors()[0]
        print(f"mlf-sim: error: {'.'.join(map(str, error['loc']))}: {error['msg']}", file=sys.stderr)
        return 2
    except (OSError, OutboxError, ValueError, TimeoutError) as exc:
        print(f"mlf-sim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
