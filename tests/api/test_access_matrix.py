"""Who may do what to whose objects: every operation of the OpenAPI document x every role x a key bound to
organisation "a" or bound to none x an object of "a", of "b", or no organisation named.

Each operation has one row saying which roles may call it, the status it answers when allowed, and what a
key bound to "a" gets when it names something of "b". A new operation without its row fails
`test_every_operation_has_a_row`, so no route ships without its rule.

The rule for a key bound to an organisation: naming another organisation (a path or query `org`, a key's
`organisation`) is 403; naming another organisation's object by its own id (a service point, a kiosk, a key,
a target) is 404, exactly as if it did not exist; lists hold its own organisation's objects only;
installation-wide operations (new organisations, metrics) are 403.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collector.api.app import create_app
from collector.channels import voice
from devstack.postgres import LocalPostgres
from protocol import Face, KioskClock, Rating
from tests.api.known_data import many, store
from tests.fixtures.fix_api import api_settings, make_key
from tests.fixtures.fix_postgres import TEMPLATE

ORGS = ("a", "b")
ROLES = ("admin", "reader", "ingest", "served", None)  # None: no key at all
ANYONE = ("admin", "reader", "ingest", "served", None)
READERS = ("admin", "reader")
ADMINS = ("admin",)
SENDERS = ("admin", "ingest")
POSTERS = ("admin", "served")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    """Two organisations with one of everything, an unbound admin key to prepare things, fresh ids."""

    client: TestClient
    database_url: str
    admin: str
    keys: dict[tuple[str | None, bool], str]
    """(role, bound to "a") -> token."""
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    subscriptions: dict[str, str] = field(default_factory=dict)
    """organisation -> an alert subscription of it."""
    events: dict[str, int] = field(default_factory=dict)
    """organisation -> an alert event of it."""
    actions: dict[str, int] = field(default_factory=dict)
    """organisation -> an improvement action of it."""

    def fresh(self, stem: str) -> str:
        return f"{stem}-{next(self.counter)}"

    def prepare(self, method: str, path: str, json: Any = None) -> Any:
        response = self.client.request(method, path, json=json, headers={"Authorization": f"Bearer {self.admin}"})
        assert response.status_code < 300, response.text
        return response.json() if response.content else None


TARGET = {"min_green_share": 0.8, "max_red_share": 0.1, "min_ratings": 10, "window_days": 14}


def _target_then_delete(kind: str) -> Callable[[World, str | None], Call]:
    def call(w: World, org: str | None) -> Call:
        scope = {"default": "default", "services": f"services/{org}-svc", "service-points": f"service-points/{org}-sp"}
        path = f"/v1/organisations/{org}/targets/{scope[kind]}"
        w.prepare("PUT", path, TARGET)
        return Call("DELETE", path)

    return call


def _key_to_revoke(w: World, org: str | None) -> Call:
    token = make_key(w.database_url, "reader", org=org, name="to revoke")
    return Call("DELETE", f"/v1/keys/{token.split('_')[1]}")


def _rating(w: World, org: str | None) -> Call:
    rating = Rating(
        event_id=uuid.uuid4(),
        kiosk_id=f"{org}-k",
        seq=next(w.counter),
        service_point=f"{org}-sp",
        face=Face.POSITIVE,
        pressed_at=datetime.now(UTC) - timedelta(hours=2),
        clock=KioskClock(boot_id=uuid.uuid4(), uptime_ms=1, synced=True),
    )
    return Call("POST", f"/v1/organisations/{org}/ratings", json=[rating.model_dump(mode="json")])


HOOK = "http://127.0.0.1:9/never-listening"


def _subscription_then_delete(w: World, org: str | None) -> Call:
    sub = w.prepare("POST", "/v1/alerts/subscriptions", {"organisation": org, "webhook": HOOK})
    return Call("DELETE", f"/v1/alerts/subscriptions/{sub['id']}")


def _subscription(method: str, tail: str = "", json: Any = None) -> Callable[[World, str | None], Call]:
    return lambda w, org: Call(method, f"/v1/alerts/subscriptions/{w.subscriptions[str(org)]}{tail}", json=json)


def _action(org: str | None) -> dict[str, Any]:
    return {"service_point": f"{org}-sp", "taken_on": "2026-10-05", "role": "responsabile ufficio",
            "description": "Eliminacode"}  # fmt: skip


def _action_then_delete(w: World, org: str | None) -> Call:
    made = w.prepare("POST", f"/v1/organisations/{org}/actions", _action(org))
    return Call("DELETE", f"/v1/organisations/{org}/actions/{made['id']}")


def _link(w: World, org: str | None) -> str:
    """A fresh rating link of the organisation's service point (the old one rotated away)."""
    made = w.prepare("POST", f"/v1/organisations/{org}/rating-links", {"service_point": f"{org}-sp", "rotate": True})
    return str(made["id"])


PHONE_TOKEN = "0123456789abcdef0123456789abcdef"


def _voice(step: str) -> Callable[[World, str | None], Call]:
    """A signed request of the voice service to a fresh phone line of "a"."""

    def call(w: World, org: str | None) -> Call:
        line = w.prepare(
            "POST", "/v1/organisations/a/phone-lines", {"service_point": "a-sp", "auth_token": PHONE_TOKEN}
        )
        path = f"/phone/{line['id']}/voice{step}"
        form = {"CallSid": f"CA{uuid.uuid4().hex}", "Digits": "1"}
        signature = voice.signature(PHONE_TOKEN, "http://127.0.0.1:8000" + path, form)
        return Call("POST", path, data=form, headers={"X-Twilio-Signature": signature})

    return call


def _orgs(body: Any) -> set[str | None]:
    return {item["id"] for item in body}


def _owners(key: str) -> Callable[[Any], set[str | None]]:
    return lambda body: {item[key] for item in body}


@dataclass(frozen=True)
class Rule:
    roles: tuple[str | None, ...]
    call: Callable[[World, str | None], Call]
    ok: int = 200
    other: int | None = 404
    """What a key bound to "a" gets for "b"'s object; None: the operation names no organisation."""
    unnamed: bool = False
    """The organisation may be left out (a filter): then a bound key sees its own only."""
    bound: int | None = None
    """Installation-wide: what any key bound to an organisation gets."""
    sees: Callable[[Any], set[str | None]] | None = None
    """Organisations of the objects in a 2xx answer."""


def _code(w: World, org: str | None) -> Any:
    """A fresh enrolment code of the organisation's service point."""
    return w.prepare("POST", f"/v1/organisations/{org}/enrolment-codes", {"service_point": f"{org}-sp"})


def _get(path: str, **params: str) -> Callable[[World, str | None], Call]:
    """GET `path` with `{org}` filled in; `org=` as a query filter only when an organisation is named."""

    def call(w: World, org: str | None) -> Call:
        query = {k: v.format(org=org) for k, v in params.items() if org is not None or "{org}" not in v}
        return Call("GET", path.format(org=org), query)

    return call


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): Rule(ANYONE, _get("/healthz"), other=None),
    ("GET", "/metrics"): Rule(READERS, _get("/metrics"), other=None, bound=403),
    ("GET", "/v1/overview"): Rule(
        READERS,
        _get("/v1/overview", org="{org}"),
        other=403,
        unnamed=True,
        sees=lambda body: {r["organisation"] for r in body["rows"]},
    ),
    ("GET", "/v1/service-points/{sp_id}/summary"): Rule(READERS, _get("/v1/service-points/{org}-sp/summary")),
    ("GET", "/v1/service-points/{sp_id}/series"): Rule(READERS, _get("/v1/service-points/{org}-sp/series")),
    ("GET", "/v1/service-points/{sp_id}/hour-weekday"): Rule(READERS, _get("/v1/service-points/{org}-sp/hour-weekday")),
    ("GET", "/v1/organisations/{org}/reasons/ranking"): Rule(
        READERS, _get("/v1/organisations/{org}/reasons/ranking"), other=403
    ),
    ("POST", "/v1/kiosks"): Rule(
        ADMINS,
        lambda w, org: Call("POST", "/v1/kiosks", json={"id": w.fresh(f"{org}-kiosk"), "service_point": f"{org}-sp"}),
        ok=201,
    ),
    ("GET", "/v1/kiosks"): Rule(
        READERS, _get("/v1/kiosks", org="{org}"), other=403, unnamed=True, sees=_owners("organisation")
    ),
    ("POST", "/v1/kiosks/{kiosk_id}/credentials"): Rule(
        ADMINS, lambda w, org: Call("POST", f"/v1/kiosks/{org}-k/credentials")
    ),
    ("PUT", "/v1/kiosks/{kiosk_id}/settings"): Rule(
        ADMINS, lambda w, org: Call("PUT", f"/v1/kiosks/{org}-k/settings", json={"services": [f"{org}-svc"]})
    ),
    ("GET", "/v1/quarantine/reasons"): Rule(
        READERS, _get("/v1/quarantine/reasons", org="{org}"), other=403, unnamed=True
    ),
    ("GET", "/v1/exports/ratings"): Rule(ADMINS, _get("/v1/exports/ratings", org="{org}"), other=403),
    ("GET", "/v1/exports/counts"): Rule(READERS, _get("/v1/exports/counts", org="{org}"), other=403),
    ("GET", "/v1/organisations"): Rule(READERS, _get("/v1/organisations"), other=None, sees=_orgs),
    ("POST", "/v1/organisations"): Rule(
        ADMINS,
        lambda w, org: Call("POST", "/v1/organisations", json={"id": w.fresh("org"), "name": "Nuovo ente"}),
        ok=201,
        other=None,
        bound=403,
    ),
    ("POST", "/v1/organisations/{org}/sites"): Rule(
        ADMINS,
        lambda w, org: Call(
            "POST", f"/v1/organisations/{org}/sites", json={"id": w.fresh(f"{org}-site"), "name": "Sede"}
        ),
        ok=201,
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/sites"): Rule(READERS, _get("/v1/organisations/{org}/sites"), other=403),
    ("POST", "/v1/organisations/{org}/service-points"): Rule(
        ADMINS,
        lambda w, org: Call(
            "POST", f"/v1/organisations/{org}/service-points", json={"id": w.fresh(f"{org}-sp"), "name": "Sportello"}
        ),
        ok=201,
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/service-points"): Rule(
        READERS, _get("/v1/organisations/{org}/service-points"), other=403
    ),
    ("POST", "/v1/organisations/{org}/services"): Rule(
        ADMINS,
        lambda w, org: Call(
            "POST", f"/v1/organisations/{org}/services", json={"id": w.fresh(f"{org}-svc"), "name": "URP"}
        ),
        ok=201,
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/services"): Rule(READERS, _get("/v1/organisations/{org}/services"), other=403),
    ("GET", "/v1/organisations/{org}/reasons"): Rule(READERS, _get("/v1/organisations/{org}/reasons"), other=403),
    ("PUT", "/v1/organisations/{org}/reasons"): Rule(
        ADMINS,
        lambda w, org: Call(
            "PUT",
            f"/v1/organisations/{org}/reasons",
            json={"reasons": [{"code": "waiting-time", "label_it": "Tempo di attesa", "label_en": "Waiting time"}]},
        ),
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/targets"): Rule(READERS, _get("/v1/organisations/{org}/targets"), other=403),
    ("PUT", "/v1/organisations/{org}/targets/default"): Rule(
        ADMINS, lambda w, org: Call("PUT", f"/v1/organisations/{org}/targets/default", json=TARGET), other=403
    ),
    ("DELETE", "/v1/organisations/{org}/targets/default"): Rule(
        ADMINS, _target_then_delete("default"), ok=204, other=403
    ),
    ("PUT", "/v1/organisations/{org}/targets/services/{scope_id}"): Rule(
        ADMINS,
        lambda w, org: Call("PUT", f"/v1/organisations/{org}/targets/services/{org}-svc", json=TARGET),
        other=403,
    ),
    ("DELETE", "/v1/organisations/{org}/targets/services/{scope_id}"): Rule(
        ADMINS, _target_then_delete("services"), ok=204, other=403
    ),
    ("PUT", "/v1/organisations/{org}/targets/service-points/{scope_id}"): Rule(
        ADMINS,
        lambda w, org: Call("PUT", f"/v1/organisations/{org}/targets/service-points/{org}-sp", json=TARGET),
        other=403,
    ),
    ("DELETE", "/v1/organisations/{org}/targets/service-points/{scope_id}"): Rule(
        ADMINS, _target_then_delete("service-points"), ok=204, other=403
    ),
    ("GET", "/v1/keys"): Rule(ADMINS, _get("/v1/keys"), other=None, sees=_owners("organisation")),
    ("POST", "/v1/keys"): Rule(
        ADMINS,
        lambda w, org: Call("POST", "/v1/keys", json={"name": "bi", "role": "reader", "organisation": org}),
        ok=201,
        other=403,
    ),
    ("DELETE", "/v1/keys/{key_id}"): Rule(ADMINS, _key_to_revoke, ok=204),
    ("POST", "/v1/organisations/{org}/ratings"): Rule(SENDERS, _rating, other=403),
    ("POST", "/v1/organisations/{org}/rating-links"): Rule(
        ADMINS,
        lambda w, org: Call(
            "POST", f"/v1/organisations/{org}/rating-links", json={"service_point": f"{org}-sp", "rotate": True}
        ),
        ok=201,
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/rating-links"): Rule(
        READERS, _get("/v1/organisations/{org}/rating-links"), other=403
    ),
    ("DELETE", "/v1/organisations/{org}/rating-links/{link_id}"): Rule(
        ADMINS,
        lambda w, org: Call("DELETE", f"/v1/organisations/{org}/rating-links/{_link(w, org)}"),
        ok=204,
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/rating-links/{link_id}/poster.pdf"): Rule(
        READERS,
        lambda w, org: Call("GET", f"/v1/organisations/{org}/rating-links/{_link(w, org)}/poster.pdf"),
        other=403,
    ),
    ("PUT", "/v1/organisations/{org}/web-embedding"): Rule(
        ADMINS,
        lambda w, org: Call(
            "PUT", f"/v1/organisations/{org}/web-embedding", json={"frame_ancestors": ["https://www.comune.it"]}
        ),
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/web-embedding"): Rule(
        READERS, _get("/v1/organisations/{org}/web-embedding"), other=403
    ),
    # The web rating page: no key, for whoever holds a link (tests/channels checks the link itself).
    ("GET", "/r/{link_id}"): Rule(ANYONE, lambda w, org: Call("GET", f"/r/{_link(w, 'a')}"), other=None),
    ("POST", "/r/{link_id}"): Rule(
        ANYONE,
        lambda w, org: Call(
            "POST", f"/r/{_link(w, 'a')}", data={"k": w.fresh("form-key-0123456789"), "face": "positive"}
        ),
        other=None,
    ),
    ("POST", "/v1/organisations/{org}/phone-lines"): Rule(
        ADMINS,
        lambda w, org: Call(
            "POST",
            f"/v1/organisations/{org}/phone-lines",
            json={"service_point": f"{org}-sp", "auth_token": PHONE_TOKEN},
        ),
        ok=201,
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/phone-lines"): Rule(
        READERS, _get("/v1/organisations/{org}/phone-lines"), other=403
    ),
    # The voice service's webhooks: no key, a signature of the line's auth token (tests/channels/test_phone.py).
    ("POST", "/phone/{line_id}/voice"): Rule(ANYONE, _voice(""), other=None),
    ("POST", "/phone/{line_id}/voice/face"): Rule(ANYONE, _voice("/face"), other=None),
    ("POST", "/phone/{line_id}/voice/reason"): Rule(ANYONE, _voice("/reason"), other=None),
    ("GET", "/v1/organisations/{org}/channels"): Rule(READERS, _get("/v1/organisations/{org}/channels"), other=403),
    ("POST", "/v1/organisations/{org}/channel-ratings"): Rule(
        SENDERS,
        lambda w, org: Call(
            "POST",
            f"/v1/organisations/{org}/channel-ratings",
            json={"service_point": f"{org}-sp", "face": "positive", "channel": "web", "idempotency_key": w.fresh("k")},
        ),
        ok=201,
        other=403,
    ),
    ("POST", "/v1/organisations/{org}/citizens-served"): Rule(
        POSTERS,
        lambda w, org: Call(
            "POST",
            f"/v1/organisations/{org}/citizens-served",
            json=[{"service_point": f"{org}-sp", "day": "2026-01-05", "served": 9}],
        ),
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/citizens-served"): Rule(
        READERS, _get("/v1/organisations/{org}/citizens-served"), other=403
    ),
    ("PUT", "/v1/organisations/{org}/opening-hours"): Rule(
        ADMINS,
        lambda w, org: Call(
            "PUT",
            f"/v1/organisations/{org}/opening-hours",
            json={"site": f"{org}-site", "weekly": {"mon": ["08:30-12:30"]}},
        ),
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/opening-hours"): Rule(
        READERS, _get("/v1/organisations/{org}/opening-hours"), other=403
    ),
    ("GET", "/v1/service-points/{sp_id}/opening-hours"): Rule(
        READERS, _get("/v1/service-points/{org}-sp/opening-hours")
    ),
    ("PUT", "/v1/organisations/{org}/public-results"): Rule(
        ADMINS,
        lambda w, org: Call("PUT", f"/v1/organisations/{org}/public-results", json={"enabled": org == "a"}),
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/public-results"): Rule(
        READERS, _get("/v1/organisations/{org}/public-results"), other=403
    ),
    # Public: no key needed, for an organisation that opted in ("a"); tests/reports/test_public.py checks the opt-in.
    ("GET", "/public/organisations/{org}/results"): Rule(ANYONE, _get("/public/organisations/a/results"), other=None),
    ("GET", "/public/organisations/{org}/results.json"): Rule(
        ANYONE, _get("/public/organisations/a/results.json"), other=None
    ),
    ("GET", "/public/organisations/{org}/results.csv"): Rule(
        ANYONE, _get("/public/organisations/a/results.csv"), other=None
    ),
    ("GET", "/v1/organisations/{org}/reports/monthly"): Rule(
        READERS, _get("/v1/organisations/{org}/reports/monthly"), other=403
    ),
    ("GET", "/v1/alerts/events"): Rule(
        READERS, _get("/v1/alerts/events", org="{org}"), other=403, unnamed=True, sees=_owners("organisation")
    ),
    ("GET", "/v1/alerts/events/{event_id}"): Rule(
        READERS, lambda w, org: Call("GET", f"/v1/alerts/events/{w.events[str(org)]}")
    ),
    ("POST", "/v1/alerts/subscriptions"): Rule(
        ADMINS,
        lambda w, org: Call("POST", "/v1/alerts/subscriptions", json={"organisation": org, "webhook": HOOK}),
        ok=201,
        other=403,
    ),
    ("GET", "/v1/alerts/subscriptions"): Rule(
        ADMINS, _get("/v1/alerts/subscriptions", org="{org}"), other=403, unnamed=True, sees=_owners("organisation")
    ),
    ("GET", "/v1/alerts/subscriptions/{sub_id}"): Rule(ADMINS, _subscription("GET")),
    ("PATCH", "/v1/alerts/subscriptions/{sub_id}"): Rule(ADMINS, _subscription("PATCH", json={"name": "Qualità"})),
    ("DELETE", "/v1/alerts/subscriptions/{sub_id}"): Rule(ADMINS, _subscription_then_delete, ok=204),
    ("POST", "/v1/alerts/subscriptions/{sub_id}/test"): Rule(ADMINS, _subscription("POST", "/test"), ok=202),
    ("POST", "/v1/organisations/{org}/actions"): Rule(
        ADMINS, lambda w, org: Call("POST", f"/v1/organisations/{org}/actions", json=_action(org)), ok=201, other=403
    ),
    ("GET", "/v1/organisations/{org}/actions"): Rule(READERS, _get("/v1/organisations/{org}/actions"), other=403),
    ("GET", "/v1/organisations/{org}/actions/{action_id}"): Rule(
        READERS, lambda w, org: Call("GET", f"/v1/organisations/{org}/actions/{w.actions[str(org)]}"), other=403
    ),
    ("DELETE", "/v1/organisations/{org}/actions/{action_id}"): Rule(ADMINS, _action_then_delete, ok=204, other=403),
    # Enrolment: admins make, list and revoke codes; a kiosk trades a code for its identity with no key at all.
    ("POST", "/v1/organisations/{org}/enrolment-codes"): Rule(
        ADMINS,
        lambda w, org: Call("POST", f"/v1/organisations/{org}/enrolment-codes", json={"service_point": f"{org}-sp"}),
        ok=201,
        other=403,
    ),
    ("GET", "/v1/organisations/{org}/enrolment-codes"): Rule(
        ADMINS,
        lambda w, org: (_code(w, org), Call("GET", f"/v1/organisations/{org}/enrolment-codes"))[1],
        other=403,
        sees=_owners("organisation"),
    ),
    ("DELETE", "/v1/organisations/{org}/enrolment-codes/{code_id}"): Rule(
        ADMINS,
        lambda w, org: Call("DELETE", f"/v1/organisations/{org}/enrolment-codes/{_code(w, org)['id']}"),
        ok=204,
        other=403,
    ),
    ("POST", "/v1/enrolment"): Rule(
        ANYONE, lambda w, org: Call("POST", "/v1/enrolment", json={"code": _code(w, "a")["code"]}), other=None
    ),
    ("GET", "/v1/alerts/deliveries"): Rule(
        ADMINS, _get("/v1/alerts/deliveries", org="{org}"), other=403, unnamed=True, sees=_owners("organisation")
    ),
}


def _operations() -> set[tuple[str, str]]:
    app = create_app(api_settings("postgresql://nobody@127.0.0.1:1/none"))
    return {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}


def test_every_operation_has_a_row() -> None:
    operations = _operations()
    missing = sorted(operations - RULES.keys())
    assert not missing, f"operations without their access rule in RULES: {missing}"
    assert not sorted(RULES.keys() - operations), "rules of operations that no longer exist"


def expected(rule: Rule, role: str | None, bound: bool, org: str | None) -> int:
    if role is None and rule.roles != ANYONE:
        return 401
    if role not in rule.roles:
        return 403
    if bound and rule.bound is not None:
        return rule.bound
    if bound and org == "b" and rule.other is not None:
        return rule.other
    return rule.ok


@pytest.fixture(scope="module")
def world(pg_server: LocalPostgres) -> Iterator[World]:
    database_url = pg_server.create_database("access_matrix", template=TEMPLATE)
    settings = api_settings(database_url, auth_failure_limit="100000/minute")
    admin = make_key(database_url, "admin")
    with TestClient(create_app(settings)) as client:
        w = World(client, database_url, admin, {})
        for org in ORGS:
            w.prepare("POST", "/v1/organisations", {"id": org, "name": f"Ente {org}"})
            w.prepare("POST", f"/v1/organisations/{org}/sites", {"id": f"{org}-site", "name": "Sede"})
            w.prepare(
                "POST",
                f"/v1/organisations/{org}/service-points",
                {"id": f"{org}-sp", "name": "Sportello", "site": f"{org}-site"},
            )
            w.prepare("POST", f"/v1/organisations/{org}/services", {"id": f"{org}-svc", "name": "Anagrafe"})
            w.prepare(
                "POST", "/v1/kiosks", {"id": f"{org}-k", "service_point": f"{org}-sp", "services": [f"{org}-svc"]}
            )
            day = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
            store(
                database_url,
                many(day, {"positive": 3, "negative": 1}, service_point=f"{org}-sp", kiosk=f"{org}-k"),
                org=org,
            )
            make_key(database_url, "reader", org=org, name=f"reader of {org}")
            sub = w.prepare("POST", "/v1/alerts/subscriptions", {"organisation": org, "webhook": HOOK})
            w.subscriptions[org] = sub["id"]
            w.events[org] = w.prepare("POST", f"/v1/alerts/subscriptions/{sub['id']}/test")["id"]
            w.actions[org] = w.prepare("POST", f"/v1/organisations/{org}/actions", _action(org))["id"]
        w.prepare("PUT", "/v1/organisations/a/public-results", {"enabled": True})
        w.keys = {
            (role, bound): make_key(database_url, role, "a" if bound else None)
            for role in ROLES[:4]
            for bound in (False, True)
        }
        yield w


def _targets(rule: Rule) -> list[str | None]:
    if rule.other is None:
        return [None]
    return [*ORGS, None] if rule.unnamed else list(ORGS)


@pytest.mark.parametrize(("method", "path"), sorted(RULES))
def test_access(method: str, path: str, world: World) -> None:
    rule = RULES[(method, path)]
    wrong = []
    for role in ROLES:
        for bound in (False, True) if role else (False,):
            for org in _targets(rule):
                call = rule.call(world, org)
                headers = {"Authorization": f"Bearer {world.keys[(role, bound)]}"} if role else {}
                headers.update(call.headers)
                response = world.client.request(
                    call.method, call.path, params=call.params, json=call.json, data=call.data, headers=headers
                )
                want = expected(rule, role, bound, org)
                who = f"{role or 'no key'} {'bound to a' if bound else 'unbound'}, {org or 'no'} organisation named"
                if response.status_code != want:
                    wrong.append(f"{who}: {response.status_code} (want {want}) {response.text[:160]}")
                elif rule.sees is not None and response.status_code < 300:
                    seen = rule.sees(response.json())
                    if seen != {"a"} if bound else seen != {org} if org else not {"a", "b"} <= seen:
                        wrong.append(f"{who}: answer holds organisations {sorted(map(str, seen))}")
    assert not wrong, f"{method} {path}:\n" + "\n".join(wrong)
