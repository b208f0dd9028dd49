"""Fleet: which kiosks are connected, when each was last heard, what waits in its outbox, holes in its
sequence, clock skew, and what the collector refused (quarantine) by reason."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards import texts, variables
from dashboards.boards import common
from dashboards.panels import coloured_text, field_properties, series_panel, stat_panel, table_panel, titled
from dashboards.sql import among

UID = "mlf-fleet"
b = texts.both
IN_SCOPE = f"{among('k.org_id', 'org')} AND {among('sp.site_id', 'site')}"
QUARANTINE_ORG = "coalesce(k.org_id, split_part(q.topic, '/', 3))"  # a message that named no known kiosk
QUARANTINE_SCOPE = f"$__timeFilter(q.received_at) AND {among(QUARANTINE_ORG, 'org')}"


def kiosks_sql(where: str = "true") -> str:
    """One row per kiosk in scope: state in words, last contact, outbox, gaps, clock skew; worst first."""
    return f"""
        SELECT CASE k.online WHEN true THEN 'online' WHEN false THEN 'offline' ELSE 'unknown' END
                 AS "{b("Stato", "State")}",
               k.id AS "{b("Chiosco", "Kiosk")}",
               sp.name AS "{b("Sportello", "Service point")}",
               k.last_seen_at AS "{b("Ultimo contatto", "Last seen")}",
               extract(epoch FROM now() - k.last_seen_at) AS "{b("Silenzio", "Silent for")}",
               (k.last_heartbeat->>'outbox_depth')::bigint AS "{b("In coda", "Outbox")}",
               g.open_gaps AS "{b("Buchi aperti", "Open gaps")}",
               g.missing AS "{b("Valutazioni mancanti", "Missing ratings")}",
               k.clock_skew_ms / 1000.0 AS "{b("Scarto orologio", "Clock skew")}",
               k.last_heartbeat->>'software_version' AS "{b("Versione", "Version")}"
        FROM kiosks k
        LEFT JOIN service_points sp ON sp.id = k.service_point_id
        CROSS JOIN LATERAL (
          SELECT count(*) AS open_gaps, coalesce(sum(last_seq - first_seq + 1), 0)::bigint AS missing
          FROM sequence_gaps WHERE kiosk_id = k.id AND closed_at IS NULL
        ) AS g
        WHERE {IN_SCOPE} AND {where}
        ORDER BY k.online NULLS FIRST, k.last_seen_at NULLS FIRST, k.id"""


def _counts() -> str:
    return f"""
        SELECT count(*) FILTER (WHERE k.online) AS "{b("Collegati", "Online")}",
               count(*) FILTER (WHERE NOT k.online) AS "{b("Scollegati", "Offline")}",
               count(*) FILTER (WHERE k.online IS NULL) AS "{b("Stato sconosciuto", "Status unknown")}",
               coalesce(sum((k.last_heartbeat->>'outbox_depth')::bigint), 0) AS "{b("In coda", "Outbox")}",
               (SELECT count(*) FROM sequence_gaps g WHERE g.closed_at IS NULL AND g.kiosk_id IN (
                  SELECT k2.id FROM kiosks k2 LEFT JOIN service_points sp ON sp.id = k2.service_point_id
                  WHERE {among("k2.org_id", "org")} AND {among("sp.site_id", "site")}))
                 AS "{b("Buchi aperti", "Open gaps")}"
        FROM kiosks k
        LEFT JOIN service_points sp ON sp.id = k.service_point_id
        WHERE {IN_SCOPE}"""


def _quarantine_by_reason() -> str:
    return f"""
        SELECT q.reason AS "{b("Motivo", "Reason")}", count(*) AS "{b("Messaggi", "Messages")}",
               max(q.received_at) AS "{b("Ultimo", "Last")}"
        FROM quarantine q
        LEFT JOIN kiosks k ON k.id = q.kiosk_id
        WHERE {QUARANTINE_SCOPE}
        GROUP BY 1
        ORDER BY 2 DESC, 1"""


def _quarantine_over_time() -> str:
    return f"""
        SELECT $__timeGroupAlias(q.received_at, $__interval), q.reason AS metric, count(*) AS value
        FROM quarantine q
        LEFT JOIN kiosks k ON k.id = q.kiosk_id
        WHERE {QUARANTINE_SCOPE}
        GROUP BY 1, 2
        ORDER BY 1"""


def build() -> Dashboard:
    counts = titled(
        stat_panel(_counts(), width=24, height=4),
        "La flotta adesso",
        "The fleet now",
        "Chioschi collegati e scollegati (dal loro ultimo stato), valutazioni in coda e buchi aperti.",
        "Kiosks online and offline (from their last status), ratings waiting in outboxes, open gaps.",
    )
    kiosks = (
        titled(
            table_panel(kiosks_sql(), height=14),
            "Chioschi, i più silenziosi prima",
            "Kiosks, silent ones first",
            "Scollegati e mai segnalati in cima, poi dal contatto più vecchio. In coda: valutazioni non ancora "
            "confermate. Buchi: numeri di sequenza mancanti (valutazioni che il chiosco deve ancora reinviare). "
            "Scarto: orologio del chiosco meno il nostro.",
            "Offline and never-reported kiosks on top, then the oldest contact first. Outbox: ratings not yet "
            "confirmed. Gaps: missing sequence numbers (ratings the kiosk still has to resend). Skew: the kiosk's "
            "clock minus ours.",
        )
        .override_by_name(b("Stato", "State"), [coloured_text(), *field_properties(custom__width=160)])
        .override_by_name(b("Silenzio", "Silent for"), field_properties(unit="s", decimals=0))
        .override_by_name(b("Scarto orologio", "Clock skew"), field_properties(unit="s", decimals=1))
        .override_by_name(b("Ultimo contatto", "Last seen"), field_properties(unit="dateTimeAsLocal"))
    )
    by_reason = titled(
        table_panel(_quarantine_by_reason(), height=9, width=10),
        "Quarantena per motivo",
        "Quarantine by reason",
        "Messaggi rifiutati dal collettore nel periodo, per motivo (nulla è perso: restano in quarantena).",
        "Messages the collector refused in the period, by reason (nothing is lost: they stay in quarantine).",
    )
    over_time = titled(
        series_panel(_quarantine_over_time(), "bars", width=14, height=9),
        "Quarantena nel tempo",
        "Quarantine over time",
        "Messaggi rifiutati per motivo; il passo segue lo zoom.",
        "Refused messages by reason; the step follows the zoom.",
    ).interval("1m")
    return (
        common.dashboard(UID, b("Mettiamoci la faccia: flotta", "Mettiamoci la faccia: fleet"))
        .description(b("Chioschi e messaggi rifiutati", "Kiosks and refused messages"))
        .time("now-24h", "now")
        .refresh("1m")
        .variables([variables.organisation(), variables.site()])
        .with_panel(counts)
        .with_panel(kiosks)
        .with_panel(by_reason)
        .with_panel(over_time)
    )
