-- Zero-touch kiosk enrolment (collector/enrolment/): one-time codes an installer gives a kiosk that has no
-- identity yet; the kiosk trades one for its kiosk id and MQTT credentials (POST /v1/enrolment).
-- A code is never stored: `lookup` (its first digits, to find the row) and an scrypt hash of the whole code
-- with a salt of its own. A code works once (`redeemed_at`, set under the row's lock), until `expires_at`,
-- unless revoked.
CREATE TABLE enrolment_codes (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lookup            text NOT NULL CHECK (lookup ~ '^[0-9]{4}$'),
    salt              bytea NOT NULL,
    code_hash         bytea NOT NULL,
    org_id            slug NOT NULL REFERENCES organisations ON DELETE CASCADE,
    service_point_id  slug NOT NULL REFERENCES service_points ON DELETE CASCADE,
    kiosk_id          slug,           -- the kiosk id to give (an existing kiosk: a replacement device); NULL: made then
    services          text[] NOT NULL DEFAULT '{}',
    note              text CHECK (length(note) <= 200),
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    redeemed_at       timestamptz,
    redeemed_kiosk_id slug,
    revoked_at        timestamptz,
    CHECK (expires_at > created_at),
    CHECK ((redeemed_at IS NULL) = (redeemed_kiosk_id IS NULL))
);
CREATE INDEX enrolment_codes_lookup ON enrolment_codes (lookup, created_at);
CREATE INDEX enrolment_codes_org ON enrolment_codes (org_id, created_at);

-- Every exchange, kept for the audit: when, which code (none when the code was unknown), the outcome, and the
-- kiosk id issued. No client address and nothing else about who asked.
CREATE TABLE enrolment_audit (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    code_id   bigint REFERENCES enrolment_codes ON DELETE SET NULL,
    org_id    slug REFERENCES organisations ON DELETE CASCADE,
    outcome   text NOT NULL CHECK (outcome IN ('enrolled', 'unknown', 'used', 'expired', 'revoked')),
    kiosk_id  slug
);
CREATE INDEX enrolment_audit_code ON enrolment_audit (code_id);
