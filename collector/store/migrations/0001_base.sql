-- Registry, raw ratings, rollups and quarantine.
-- Identifiers are the lower-case slugs of the wire protocol (see protocol/messages.py).

CREATE TYPE face AS ENUM ('positive', 'neutral', 'negative');
CREATE TYPE channel AS ENUM ('counter', 'phone', 'web');
CREATE DOMAIN slug AS text CHECK (VALUE ~ '^[a-z0-9][a-z0-9_-]{0,62}$');

CREATE TABLE organisations (
    id          slug PRIMARY KEY,
    name        text NOT NULL,
    timezone    text NOT NULL DEFAULT 'Europe/Rome',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sites (
    id          slug PRIMARY KEY,
    org_id      slug NOT NULL REFERENCES organisations,
    name        text NOT NULL,
    region      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE service_points (
    id          slug PRIMARY KEY,
    org_id      slug NOT NULL REFERENCES organisations,
    site_id     slug REFERENCES sites,
    name        text NOT NULL,
    channel     channel NOT NULL DEFAULT 'counter',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_points_org ON service_points (org_id);

CREATE TABLE services (
    org_id      slug NOT NULL REFERENCES organisations,
    id          slug NOT NULL,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id)
);

CREATE TABLE kiosks (
    id                slug PRIMARY KEY,
    org_id            slug NOT NULL REFERENCES organisations,
    service_point_id  slug REFERENCES service_points,
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- Highest seq stored with no gap below it: the retained ack watermark.
    acked_seq         bigint NOT NULL DEFAULT 0,
    online            boolean,
    status_at         timestamptz,
    last_seen_at      timestamptz,
    last_heartbeat    jsonb,                  -- the last Heartbeat payload as received
    last_heartbeat_at timestamptz,            -- when we received it
    clock_skew_ms     bigint                  -- its sent_at minus our receive time
);

-- One row per accepted press. event_id is the idempotency key of every path.
CREATE TABLE ratings (
    event_id          uuid NOT NULL PRIMARY KEY,
    org_id            slug NOT NULL,
    kiosk_id          slug NOT NULL,
    seq               bigint NOT NULL,
    service_point_id  slug NOT NULL,
    service_id        slug,
    channel           channel NOT NULL,
    face              face NOT NULL,
    reason            slug,
    pressed_at        timestamptz NOT NULL,   -- best estimate of the press time; what indicators use
    reported_at       timestamptz NOT NULL,   -- the kiosk's wall clock as it sent it
    received_at       timestamptz NOT NULL,   -- the collector's clock
    clock_synced      boolean NOT NULL,
    boot_id           uuid NOT NULL,
    uptime_ms         bigint NOT NULL,
    misuse            boolean NOT NULL DEFAULT false   -- kept, but excluded from indicators
);
CREATE INDEX ratings_service_point_time ON ratings (service_point_id, pressed_at);
CREATE INDEX ratings_kiosk_seq ON ratings (kiosk_id, seq);

-- Rollups: counts per face, maintained in the same transaction as the raw rows.
-- service_id is '' when the rating named no service. "misuse" counts ratings
-- marked as misuse; they are not in positive/neutral/negative.
CREATE TABLE rollup_hourly (
    bucket            timestamptz NOT NULL,   -- start of the UTC hour
    service_point_id  slug NOT NULL,
    service_id        text NOT NULL,
    channel           channel NOT NULL,
    positive          integer NOT NULL DEFAULT 0,
    neutral           integer NOT NULL DEFAULT 0,
    negative          integer NOT NULL DEFAULT 0,
    misuse            integer NOT NULL DEFAULT 0,
    PRIMARY KEY (service_point_id, bucket, service_id, channel)
);

CREATE TABLE rollup_daily (
    day               date NOT NULL,          -- the organisation's local day
    service_point_id  slug NOT NULL,
    service_id        text NOT NULL,
    channel           channel NOT NULL,
    positive          integer NOT NULL DEFAULT 0,
    neutral           integer NOT NULL DEFAULT 0,
    negative          integer NOT NULL DEFAULT 0,
    misuse            integer NOT NULL DEFAULT 0,
    PRIMARY KEY (service_point_id, day, service_id, channel)
);

CREATE TABLE rollup_monthly (
    month             date NOT NULL,          -- first day of the organisation's local month
    service_point_id  slug NOT NULL,
    service_id        text NOT NULL,
    channel           channel NOT NULL,
    positive          integer NOT NULL DEFAULT 0,
    neutral           integer NOT NULL DEFAULT 0,
    negative          integer NOT NULL DEFAULT 0,
    misuse            integer NOT NULL DEFAULT 0,
    PRIMARY KEY (service_point_id, month, service_id, channel)
);

-- Reasons given after a red face, per local day (misuse excluded).
CREATE TABLE reason_daily (
    day               date NOT NULL,
    service_point_id  slug NOT NULL,
    service_id        text NOT NULL,
    channel           channel NOT NULL,
    reason            slug NOT NULL,
    n                 integer NOT NULL DEFAULT 0,
    PRIMARY KEY (service_point_id, day, service_id, channel, reason)
);

-- Holes in a kiosk's sequence numbers. A gap is open (closed_at IS NULL) until
-- the missing ratings arrive; the API reports open gaps per kiosk.
CREATE TABLE sequence_gaps (
    kiosk_id    slug NOT NULL,
    first_seq   bigint NOT NULL,
    last_seq    bigint NOT NULL,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    PRIMARY KEY (kiosk_id, first_seq),
    CHECK (first_seq <= last_seq)
);

-- Every message the collector refused, with why. Payloads are truncated.
CREATE TABLE quarantine (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at   timestamptz NOT NULL DEFAULT now(),
    topic         text NOT NULL,
    payload       bytea NOT NULL,
    payload_size  integer NOT NULL,
    reason        text NOT NULL,
    detail        text NOT NULL
);
CREATE INDEX quarantine_received ON quarantine (received_at);
