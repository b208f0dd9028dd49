"""Alert rules as code, beside the dashboards: a service point below target, a kiosk gone silent in its
opening hours, a kiosk identity used by two devices, a spike of refused messages. Each carries a summary in
both languages and a link to the collector's board.

The two kiosk rules read what the collector's own alert evaluation keeps firing (`alert_state`, see
`collector/alerts/`): silence is counted in opening hours and a conflict comes from ingest, rules that live
in one place and are not derived again in SQL here.

Rules are plain dicts in the shape of Grafana's alert rule provisioning API (the file provisioning format
wraps the same rules in a group, see `provisioning.py`). Each queries the collector's database and returns
one number per row; its text columns become the alert's labels."""

from __future__ import annotations

from typing import Any

from dashboards import datasource
from dashboards.sql import dedent

FOLDER_UID = "mettiamoci-la-faccia"
FOLDER_TITLE = "Mettiamoci la faccia"
GROUP = "mettiamoci-la-faccia"
GROUP_INTERVAL_S = 60
SILENT_AFTER_S = 15 * 60
"""The collector's default `COLLECTOR_ALERTS_SILENT_AFTER_S` (it decides; the rule's texts name it): a kiosk
sends a heartbeat every minute or so, a quarter of an hour of opening time without a word is not a blip."""
QUARANTINE_WINDOW_S = 15 * 60
QUARANTINE_SPIKE = 20
"""More refused messages of one kind than this within the window: something is misconfigured or hostile."""

Rule = dict[str, Any]

BELOW_TARGET_SQL = dedent(
    """
    WITH points AS (
      SELECT sp.id, sp.name, sp.org_id, t.min_green_share, t.max_red_share, t.min_ratings,
             (((now() AT TIME ZONE o.timezone)::date - (t.window_days - 1))::timestamp AT TIME ZONE o.timezone)
               AS since
      FROM service_points sp
      JOIN organisations o ON o.id = sp.org_id
      CROSS JOIN LATERAL mlf_target(sp.org_id, sp.id, NULL) AS t
    ),
    counts AS (
      SELECT p.id, sum(h.positive)::bigint AS positive, sum(h.neutral)::bigint AS neutral,
             sum(h.negative)::bigint AS negative
      FROM points p
      JOIN rollup_hourly h ON h.service_point_id = p.id AND h.bucket >= p.since
                          AND h.bucket + interval '1 hour' <= now()
      GROUP BY p.id
    )
    SELECT p.id AS service_point, p.name, p.org_id AS organisation,
           (mlf_flag(coalesce(c.positive, 0), coalesce(c.neutral, 0), coalesce(c.negative, 0),
                     p.min_green_share, p.max_red_share, p.min_ratings) = 'below_target')::int AS below_target
    FROM points p
    LEFT JOIN counts c ON c.id = p.id
    ORDER BY p.id
    """
)
"""Each service point over its own target's window (the last N local days, today's complete hours
included), by the collector's flag with its minimum sample: 1 when below target."""

KIOSK_SILENT_SQL = dedent(
    """
    SELECT k.id AS kiosk, k.org_id AS organisation, coalesce(k.service_point_id, '') AS service_point,
           CASE WHEN a.subject IS NULL THEN 0
                ELSE greatest(coalesce((a.detail ->> 'silent_open_s')::float8, 0), 1) END AS silent_open_s
    FROM kiosks k
    LEFT JOIN alert_state a ON a.alert = 'kiosk_silent' AND a.subject = k.id
    WHERE k.last_seen_at IS NOT NULL
    ORDER BY k.id
    """
)
"""Each kiosk heard from once: 0, or the seconds of opening hours it had been silent when the collector found
it silent (for `COLLECTOR_ALERTS_SILENT_AFTER_S` of its service point's opening hours)."""

IDENTITY_CONFLICT_SQL = dedent(
    """
    SELECT k.id AS kiosk, k.org_id AS organisation, coalesce(k.service_point_id, '') AS service_point,
           (a.subject IS NOT NULL)::int AS identity_conflict
    FROM kiosks k
    LEFT JOIN alert_state a ON a.alert = 'identity_conflict' AND a.subject = k.id
    ORDER BY k.id
    """
)
"""Each kiosk: 1 while two devices use its identity (until an admin clears it), else 0."""

QUARANTINE_SQL = dedent(
    """
    SELECT q.reason, count(*)::float8 AS messages
    FROM quarantine q
    WHERE $__timeFilter(q.received_at)
    GROUP BY q.reason
    ORDER BY q.reason
    """
)
"""Refused messages per reason within the rule's time range (the last quarter of an hour)."""


def _sql_query(sql: str, seconds: int) -> dict[str, Any]:
    return {
        "refId": "A",
        "relativeTimeRange": {"from": seconds, "to": 0},
        "datasourceUid": datasource.UID,
        "model": {
            "refId": "A",
            "datasource": dict(datasource.REF),
            "editorMode": "code",
            "format": "table",
            "rawQuery": True,
            "rawSql": sql,
        },
    }


def _above(threshold: float) -> dict[str, Any]:
    """Condition B: A's value above the threshold (A's rows are numbers already: no reduction)."""
    return {
        "refId": "B",
        "relativeTimeRange": {"from": 0, "to": 0},
        "datasourceUid": "__expr__",
        "model": {
            "refId": "B",
            "type": "threshold",
            "expression": "A",
            "datasource": {"type": "__expr__", "uid": "__expr__"},
            "conditions": [{"evaluator": {"type": "gt", "params": [threshold]}}],
        },
    }


def _rule(
    uid: str, title: str, sql: str, seconds: int, threshold: float, pending: str, annotations: dict[str, str]
) -> Rule:
    return {
        "uid": uid,
        "title": title,
        "folderUID": FOLDER_UID,
        "ruleGroup": GROUP,
        "condition": "B",
        "data": [_sql_query(sql, seconds), _above(threshold)],
        "noDataState": "OK",
        "execErrState": "Error",
        "for": pending,
        "isPaused": False,
        "annotations": annotations,
        "labels": {"project": "mettiamoci-la-faccia"},
    }


def rules(board_url: str) -> list[Rule]:
    """Every rule, linking to the collector's board at `board_url` (e.g. https://feedback.example.org)."""
    board = board_url.rstrip("/") + "/board"
    return [
        _rule(
            "mlf-below-target",
            "Sportello sotto obiettivo / Service point below target",
            BELOW_TARGET_SQL,
            600,
            0,
            "1h",
            {
                "summary": "{{ $labels.name }} ({{ $labels.service_point }}) è sotto obiettivo / is below target",
                "description": "Anche nel caso più favorevole (intervallo di confidenza al 95%) la quota di verdi "
                "resta sotto il minimo o quella di rossi sopra il limite, con almeno il numero minimo di "
                "valutazioni, nella finestra dell'obiettivo. / Even at the favourable end of the 95% confidence "
                "interval the green share stays under the minimum or the red share over the limit, with at least "
                "the minimum number of ratings, over the target's window.",
                "board_url": board + "/service-points/{{ $labels.service_point }}",
            },
        ),
        _rule(
            "mlf-kiosk-silent",
            "Chiosco silenzioso in orario di apertura / Kiosk silent in opening hours",
            KIOSK_SILENT_SQL,
            600,
            0,
            "0s",
            {
                "summary": "Il chiosco {{ $labels.kiosk }} tace da {{ humanizeDuration $values.A.Value }} di "
                "apertura / Kiosk {{ $labels.kiosk }} silent for {{ humanizeDuration $values.A.Value }} of "
                "opening hours",
                "description": "Nessun messaggio (valutazioni, battito, stato) per più di "
                f"{SILENT_AFTER_S // 60} minuti contati nell'orario di apertura del suo sportello: rete, "
                "alimentazione o il chiosco stesso. Le valutazioni restano nella sua coda. / No message (rating, "
                f"heartbeat, status) for over {SILENT_AFTER_S // 60} minutes counted in its service point's "
                "opening hours: network, power or the kiosk itself. Its ratings wait in its outbox.",
                "board_url": board + "/fleet",
            },
        ),
        _rule(
            "mlf-identity-conflict",
            "Identità del chiosco in conflitto / Kiosk identity conflict",
            IDENTITY_CONFLICT_SQL,
            600,
            0,
            "0s",
            {
                "summary": "Chiosco {{ $labels.kiosk }}: due dispositivi usano la stessa identità / Kiosk "
                "{{ $labels.kiosk }}: two devices use the same identity",
                "description": "Due dispositivi si presentano con lo stesso identificativo: le loro valutazioni "
                "sono conservate, ma uno dei due va riconfigurato; poi un amministratore risolve il conflitto. / "
                "Two devices present the same kiosk id: their ratings are kept, but one of them must be "
                "reconfigured; then an admin clears the conflict.",
                "board_url": board + "/fleet",
            },
        ),
        _rule(
            "mlf-quarantine-spike",
            "Picco di messaggi rifiutati / Quarantine spike",
            QUARANTINE_SQL,
            QUARANTINE_WINDOW_S,
            QUARANTINE_SPIKE,
            "0s",
            {
                "summary": "{{ $values.A.Value }} messaggi rifiutati per {{ $labels.reason }} in "
                f"{QUARANTINE_WINDOW_S // 60} minuti / messages refused for {{{{ $labels.reason }}}} in "
                f"{QUARANTINE_WINDOW_S // 60} minutes",
                "description": "Il collettore ha messo in quarantena molti messaggi dello stesso tipo: un chiosco "
                "configurato male, una versione incompatibile o traffico ostile. Nulla è perso. / The collector "
                "quarantined many messages of one kind: a misconfigured kiosk, an incompatible version or hostile "
                "traffic. Nothing is lost.",
                "board_url": board + "/fleet",
            },
        ),
    ]


def group(board_url: str) -> dict[str, Any]:
    """The rule group as Grafana's provisioning API takes it (PUT .../folder/{uid}/rule-groups/{group})."""
    return {"title": GROUP, "folderUid": FOLDER_UID, "interval": GROUP_INTERVAL_S, "rules": rules(board_url)}
