"""A webhook receiver of alerts, standard library only: what an integrator writes (docs/alerts.md).

It checks each request's signature (HMAC-SHA256 of `<X-MLF-Timestamp>.<body>` with the subscription's secret,
from the environment variable MLF_ALERT_SECRET), refuses a stale timestamp, answers 204 and prints the alert;
with `--until test` it stops after the first test alert. A delivery id seen twice (a retry whose answer was
lost) is printed once.

    MLF_ALERT_SECRET=whsec_... python docs/examples/alert_receiver.py --port 8099
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE_S = 300


def signed(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    expected = "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= TOLERANCE_S
    return fresh and hmac.compare_digest(expected, signature)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--until", help="Stop after the first alert of this kind (e.g. test).")
    args = parser.parse_args()
    secret = os.environ["MLF_ALERT_SECRET"].encode()
    seen: set[str] = set()
    kinds: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(min(int(self.headers.get("Content-Length", 0)), 1_000_000))
            timestamp, signature = self.headers.get("X-MLF-Timestamp", ""), self.headers.get("X-MLF-Signature", "")
            if not signed(secret, timestamp, body, signature):
                self.send_response(401)
                self.end_headers()
                return
            self.send_response(204)
            self.end_headers()
            delivery = self.headers.get("X-MLF-Delivery", "")
            if delivery not in seen:
                seen.add(delivery)
                event = json.loads(body)["event"]
                kinds.add(event["alert"])
                print(f"signature ok: {event['alert']} {event['status']}: {event['summary']['en']}", flush=True)

        def log_message(self, *args: object) -> None:
            pass

    with HTTPServer(("127.0.0.1", args.port), Handler) as server:
        while args.until not in kinds:
            server.handle_request()


if __name__ == "__main__":
    main()
