"""Loaded by the `schemathesis` command in tests/api/test_openapi_schemathesis.py (SCHEMATHESIS_HOOKS).

A request valid for the document must be accepted, except where a rule no schema can state refuses it, with
its own problem type: `to` after `from`, at most 2500 buckets, a cursor of a previous page, references to
things that exist, unique reason codes, service points bound to ingest keys only, a month that has ended,
a period of citizens served that has started, opening intervals that open before they close and do not
overlap. Any other refusal of a
valid request fails, as the stock `positive_data_acceptance` check would.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

RULES_BEYOND_THE_SCHEMA = frozenset(
    {
        "invalid-period",
        "too-many-buckets",
        "invalid-cursor",
        "unknown-reference",
        "duplicate-code",
        "invalid-binding",
        "month-not-over",
        "future-period",
        "invalid-hours",
        # channel ratings: what the organisation has, the time of the judgment against ours, a key given
        # either as a field or as a header (a batch refused names these kinds per item: invalid-ratings)
        "invalid-ratings",
        "unknown-service-point",
        "unknown-service",
        "unknown-reason",
        "reason-without-red-face",
        "judged-at-in-the-future",
        "judged-at-too-old",
        "missing-idempotency-key",
    }
)


def _problem_kind(response: schemathesis.Response) -> str | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    kind = body.get("type") if isinstance(body, dict) else None
    return kind.rsplit("/", 1)[-1] if isinstance(kind, str) else None


@schemathesis.check
def valid_requests_accepted(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    if response.status_code == 422 and _problem_kind(response) in RULES_BEYOND_THE_SCHEMA:
        return None
    return positive_data_acceptance(ctx, response, case)
