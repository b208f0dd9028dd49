"""A FAKE Grafana (Grafana cannot be installed here): a local HTTP server that keeps folders, data sources,
dashboards and rule groups in memory, answers the endpoints `mlf-dashboards push` uses the way Grafana
documents them, checks the bearer token, and records every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "glsa_fake-service-account-token"


@dataclass
class Recorded:
    method: str
    path: str
    body: Any


@dataclass
class State:
    requests: list[Recorded] = field(default_factory=list)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    rule_groups: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    refuse_writes: bool = False

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]


def _handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            state.requests.append(Recorded(method, self.path, body))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._answer(401, {"message": "Unauthorized"})
            if method != "GET" and state.refuse_writes:
                return self._answer(403, {"message": "You'll need additional permissions to perform this action."})
            parts = self.path.split("?")[0].strip("/").split("/")
            found = self._route(method, parts, body)
            if found is None:
                return self._answer(404, {"message": "Not found"})
            return self._answer(200, found)

        def _route(self, method: str, parts: list[str], body: Any) -> Any:
            match method, parts:
                case "GET", ["api", "folders", uid]:
                    return state.folders.get(uid)
                case "POST", ["api", "folders"]:
                    state.folders[body["uid"]] = {**body, "id": len(state.folders) + 1, "version": 1}
                    return state.folders[body["uid"]]
                case "PUT", ["api", "folders", uid] if uid in state.folders:
                    state.folders[uid] |= {"title": body["title"]}
                    return state.folders[uid]
                case "GET", ["api", "datasources", "uid", uid]:
                    return state.datasources.get(uid)
                case ("POST", ["api", "datasources"]) | ("PUT", ["api", "datasources", "uid", _]):
                    stored = {k: v for k, v in body.items() if k != "secureJsonData"}
                    stored["secureJsonFields"] = {k: True for k in body.get("secureJsonData", {})}
                    state.datasources[body["uid"]] = stored | {"id": 7, "orgId": 1, "version": 1}
                    return {"message": "Datasource added", "datasource": stored}
                case "GET", ["api", "dashboards", "uid", uid]:
                    return state.dashboards.get(uid)
                case "POST", ["api", "dashboards", "db"]:
                    board = body["dashboard"] | {"id": 11, "version": 1}
                    state.dashboards[board["uid"]] = {"dashboard": board, "meta": {"folderUid": body["folderUid"]}}
                    return {"status": "success", "uid": board["uid"]}
                case "GET", ["api", "v1", "provisioning", "folder", folder, "rule-groups", group]:
                    return state.rule_groups.get((folder, group))
                case "PUT", ["api", "v1", "provisioning", "folder", folder, "rule-groups", group]:
                    rules = [rule | {"id": i, "orgID": 1, "provenance": "api"} for i, rule in enumerate(body["rules"])]
                    state.rule_groups[(folder, group)] = body | {"rules": rules}
                    return state.rule_groups[(folder, group)]
            return None

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

    return Handler


@contextmanager
def fake_grafana() -> Iterator[tuple[str, State]]:
    state = State()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
