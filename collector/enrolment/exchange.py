"""The exchange itself: a code in, a kiosk's identity and MQTT credentials out, or a clear refusal.

The code is checked against the slow hashes of the codes sharing its first four digits (in a thread: the
event loop never waits on scrypt), then redeemed once in one transaction (collector.store.enrolment). The
kiosk's MQTT password is drawn here and stored as mosquitto's hash, exactly as `POST /v1/kiosks` does; the
collector's provisioning writes it into the broker's password and ACL files. Before the code is looked at,
the attempt is counted against the failure limits (`limits`), in the database every process shares.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from collector.api.problems import ProblemError
from collector.config import CollectorSettings
from collector.enrolment.codes import LOOKUP, matches
from collector.enrolment.limits import EnrolmentLimits
from collector.provisioning import broker_files
from collector.store import enrolment
from collector.store.registry import RegistryError
from protocol.enrolment import Enrolment, MqttAccess, normalise

log = logging.getLogger(__name__)

REFUSALS = {
    "used": (409, "enrolment-code-used", "Enrolment code already used", "this code was used on {when}"),
    "expired": (410, "enrolment-code-expired", "Enrolment code expired", "this code expired on {when}"),
    "revoked": (410, "enrolment-code-revoked", "Enrolment code revoked", "this code was revoked on {when}"),
}
ASK_AGAIN = ": ask the administrator for a new one (mlf-collector admin enrol-code create)"


def unknown() -> ProblemError:
    return ProblemError(
        404, "enrolment-code-unknown", "Unknown enrolment code", "no enrolment code matches: check the digits"
    )


async def exchange(
    conn: AsyncConnection[Any], settings: CollectorSettings, limits: EnrolmentLimits, source: str, text: str
) -> Enrolment:
    """`conn` with no transaction open: the attempt is counted (and committed) before the code is looked at."""
    attempt = await limits.begin(conn, source)
    found = await _find(conn, normalise(text))
    if found is None:
        await enrolment.audit(conn, "unknown", code_id=None, org=None, kiosk_id=None)
        await limits.failed(conn, attempt)
        await conn.commit()  # the audit row and the failure stay, though the request ends in a refusal
        log.warning("enrolment refused: unknown code")
        raise unknown()
    password = broker_files.new_password()
    try:
        redeemed = await enrolment.redeem(conn, found, broker_files.mosquitto_hash(password))
    except RegistryError as exc:  # the kiosk id the code names was taken meanwhile: the code was right
        await limits.succeeded(conn, attempt)
        await conn.commit()
        raise ProblemError(exc.status, exc.kind, exc.title, exc.detail) from None
    if redeemed.outcome != "enrolled" or redeemed.kiosk_id is None or redeemed.service_point is None:
        await limits.failed(conn, attempt)
        await conn.commit()
        status, kind, title, detail = REFUSALS[redeemed.outcome]
        log.warning("enrolment refused: code %d is %s", found, redeemed.outcome)
        raise ProblemError(status, kind, title, detail.format(when=_when(redeemed.when)) + ASK_AGAIN)
    await limits.succeeded(conn, attempt)  # committed with the enrolment
    log.info("enrolment: code %d gave kiosk %s at %s", found, redeemed.kiosk_id, redeemed.service_point)
    return Enrolment(
        kiosk=redeemed.kiosk_id,
        organisation=redeemed.org,
        service_point=redeemed.service_point,
        mqtt=mqtt_access(settings, redeemed.kiosk_id, password),
    )


async def _find(conn: AsyncConnection[Any], code: str | None) -> int | None:
    """The id of the code, checked against the slow hashes sharing its first digits; None: no such code (or
    a malformed one, which the request model's pattern keeps from coming)."""
    if code is None:
        return None
    for candidate in await enrolment.candidates(conn, code[:LOOKUP]):
        if await asyncio.to_thread(matches, code, bytes(candidate["salt"]), bytes(candidate["code_hash"])):
            return int(candidate["id"])
    return None


def mqtt_access(settings: CollectorSettings, kiosk_id: str, password: str) -> MqttAccess:
    ca = settings.kiosk_mqtt_ca_file
    return MqttAccess(
        host=settings.kiosk_mqtt_host or settings.mqtt_host,
        port=settings.kiosk_mqtt_port or settings.mqtt_port,
        tls=settings.mqtt_tls if settings.kiosk_mqtt_tls is None else settings.kiosk_mqtt_tls,
        ca_pem=ca.read_text(encoding="ascii") if ca is not None else None,
        username=kiosk_id,
        password=password,
        client_id=kiosk_id,
    )


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else "an earlier date"
