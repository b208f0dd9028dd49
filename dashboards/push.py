"""`mlf-dashboards push`: make a Grafana hold our folder, data source, dashboards and alert rules, changing
only what differs (a second push changes nothing). Reads first, then writes what is missing or different;
a dry run reads and reports, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from dashboards import alerts, datasource, generate
from dashboards.grafana_api import Grafana


@dataclass(frozen=True)
class Change:
    kind: str
    uid: str
    action: str
    """create, update or unchanged"""

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.uid}"


def contains(current: Any, desired: Any) -> bool:
    """Whether what Grafana holds already says all we would send (it adds ids, versions, defaults)."""
    if isinstance(desired, dict):
        return isinstance(current, dict) and all(k in current and contains(current[k], v) for k, v in desired.items())
    if isinstance(desired, list):
        return (
            isinstance(current, list)
            and len(current) == len(desired)
            and all(contains(c, d) for c, d in zip(current, desired, strict=True))
        )
    return bool(current == desired)


def push(
    grafana: Grafana, connection: datasource.Connection, password: str | None, board_url: str, dry_run: bool
) -> list[Change]:
    changes: list[Change] = []

    def step(
        kind: str, uid: str, current: Any, desired: Any, create: Callable[[], None], update: Callable[[], None]
    ) -> None:
        action = "create" if current is None else "unchanged" if contains(current, desired) else "update"
        changes.append(Change(kind, uid, action))
        if not dry_run and action != "unchanged":
            (create if action == "create" else update)()

    folder = {"uid": alerts.FOLDER_UID, "title": alerts.FOLDER_TITLE}
    step(
        "folder",
        alerts.FOLDER_UID,
        grafana.folder(alerts.FOLDER_UID),
        folder,
        lambda: grafana.create_folder(alerts.FOLDER_UID, alerts.FOLDER_TITLE),
        lambda: grafana.rename_folder(alerts.FOLDER_UID, alerts.FOLDER_TITLE),
    )
    source = datasource.definition(connection, password)
    current_source = grafana.datasource(datasource.UID)
    compared = {k: v for k, v in source.items() if k != "secureJsonData"}
    if password is not None:  # Grafana never shows a password back, only that one is set
        compared["secureJsonFields"] = {"password": True}
    step(
        "datasource",
        datasource.UID,
        current_source,
        compared,
        lambda: grafana.create_datasource(source),
        lambda: grafana.update_datasource(source),
    )
    for name in generate.BOARDS:
        board = generate.load(name)
        current = grafana.dashboard(board["uid"])
        wanted = {"dashboard": {k: v for k, v in board.items() if k != "id"}, "meta": {"folderUid": alerts.FOLDER_UID}}
        step(
            "dashboard",
            board["uid"],
            current,
            wanted,
            partial(grafana.save_dashboard, board, alerts.FOLDER_UID),
            partial(grafana.save_dashboard, board, alerts.FOLDER_UID),
        )
    group = alerts.group(board_url)
    step(
        "rule group",
        alerts.GROUP,
        grafana.rule_group(alerts.FOLDER_UID, alerts.GROUP),
        group,
        lambda: grafana.save_rule_group(alerts.FOLDER_UID, alerts.GROUP, group),
        lambda: grafana.save_rule_group(alerts.FOLDER_UID, alerts.GROUP, group),
    )
    return changes
