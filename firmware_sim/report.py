"""The simulator's final report: what citizens pressed, what the kiosks took, what the collector confirmed.

"Acknowledged" is each kiosk's ack watermark as its own outbox recorded it: the
collector's word that every rating of that outbox's instance up to that sequence
number is stored (an ack for another device with the same kiosk id counts for
nothing). "Pending" is what the outbox still holds. Both are read from the kiosks'
databases, not from the simulator's memory, so a SIGKILLed kiosk is counted as
truthfully as the others. "Everything was delivered" means: for every kiosk, the
watermark covers its last sequence number and nothing is pending.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from firmware_sim.fleet import Fleet
from kiosk.core.outbox import OutboxStats, peek
from kiosk.core.settings import OUTBOX_FILE


@dataclass(frozen=True)
class KioskReport:
    kiosk_id: str
    presses: int
    """Face presses citizens made in this run, hammering included."""
    accepted: int
    """Ratings the kiosk took in this run (sequence numbers assigned)."""
    ignored: int
    """Presses inside the cooldown: not ratings."""
    kills: int
    last_seq: int
    acknowledged: int
    """The collector's watermark: every rating up to this sequence number is stored."""
    pending: int
    """Ratings still in the kiosk's outbox, not yet covered by the watermark."""
    instance: str | None = None
    """The kiosk outbox's instance: what the collector stores its ratings under."""

    @property
    def delivered(self) -> bool:
        return self.pending == 0 and self.acknowledged >= self.last_seq


@dataclass
class FleetReport:
    kiosks: list[KioskReport] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(int(getattr(k, name)) for k in self.kiosks)

    @property
    def delivered(self) -> bool:
        return all(k.delivered for k in self.kiosks)

    def as_dict(self) -> dict[str, object]:
        names = ("presses", "accepted", "ignored", "kills", "acknowledged", "pending")
        return {
            "totals": {name: self.total(name) for name in names},
            "delivered": self.delivered,
            "kiosks": [{**asdict(k), "delivered": k.delivered} for k in self.kiosks],
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")

    def render(self, detail: int = 20) -> str:
        lines = [
            f"Simulated fleet: {len(self.kiosks)} kiosk(s)",
            f"  presses made ......... {self.total('presses'):>9}  (ignored by the cooldown: {self.total('ignored')})",
            f"  ratings taken ........ {self.total('accepted'):>9}",
            f"  acknowledged ......... {self.total('acknowledged'):>9}  (collector's watermark, all kiosks)",
            f"  still pending ........ {self.total('pending'):>9}",
        ]
        if kills := self.total("kills"):
            lines.append(f"  kiosks killed ........ {kills:>9}  (SIGKILL, then restarted)")
        shown = self.kiosks if len(self.kiosks) <= detail else [k for k in self.kiosks if not k.delivered][:detail]
        if shown:
            lines += ["", f"  {'kiosk':<24}{'presses':>9}{'taken':>8}{'ignored':>9}{'acked':>8}{'pending':>9}"]
            lines += [
                f"  {k.kiosk_id:<24}{k.presses:>9}{k.accepted:>8}{k.ignored:>9}{k.acknowledged:>8}{k.pending:>9}"
                for k in shown
            ]
        lines.append("")
        lines.append("Everything was delivered." if self.delivered else "NOT everything was delivered yet.")
        return "\n".join(lines)


def report_for(fleet: Fleet) -> FleetReport:
    report = FleetReport()
    for handle in fleet.kiosks:
        now = handle.stats() or OutboxStats(0, 0, 0, None)
        before = handle.start_stats or OutboxStats(0, 0, 0, None)
        report.kiosks.append(
            KioskReport(
                kiosk_id=handle.kiosk_id,
                presses=handle.presses,
                accepted=max(0, now.last_seq - before.last_seq),
                ignored=handle.ignored,
                kills=handle.kills,
                last_seq=now.last_seq,
                acknowledged=now.watermark,
                pending=now.depth,
                instance=str(now.instance) if now.instance else None,
            )
        )
    return report


def report_from_dir(data_dir: Path) -> FleetReport:
    """The state of every kiosk outbox under `data_dir` (no run: presses and ignored are unknown, 0)."""
    report = FleetReport()
    for path in sorted(data_dir.glob(f"*/{OUTBOX_FILE}")):
        if (stats := peek(path)) is not None:
            report.kiosks.append(
                KioskReport(
                    path.parent.name,
                    0,
                    0,
                    0,
                    0,
                    stats.last_seq,
                    stats.watermark,
                    stats.depth,
                    str(stats.instance) if stats.instance else None,
                )
            )
    return report
