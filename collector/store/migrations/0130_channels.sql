-- Web, phone and other channels: ratings that no kiosk took (issue 16).
-- New values are only added here, never used in this file: PostgreSQL lets a transaction add an enum
-- value but not use it before the commit, and every migration of a fresh database runs in one.
ALTER TYPE channel ADD VALUE IF NOT EXISTS 'app';
ALTER TYPE channel ADD VALUE IF NOT EXISTS 'paper';
-- Where a channel rating's time comes from: the time the source stated, or (none stated) our receipt.
-- Unlike 'received' these are final: nothing will move them, so they are not provisional.
ALTER TYPE time_source ADD VALUE IF NOT EXISTS 'stated';
ALTER TYPE time_source ADD VALUE IF NOT EXISTS 'submitted';

-- Who sent a channel rating: 'key:<API key id>', 'web:<rating link id>', 'phone:<phone line id>'.
-- NULL for kiosk ratings. A channel rating's kiosk_id holds its channel's name and its seq is 0 (kiosks
-- number from 1): the kiosk-only rules (sequences, clock anchors, the press-rate misuse rule) skip it.
ALTER TABLE ratings ADD COLUMN source text;

-- The public rating page's links: an unguessable id per service point (and optionally one service);
-- rotating a link revokes it and makes a new one, so a leaked poster can be retired.
CREATE TABLE rating_links (
    id                text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{20,64}$'),
    org_id            slug NOT NULL REFERENCES organisations ON DELETE CASCADE,
    service_point_id  slug NOT NULL REFERENCES service_points ON DELETE CASCADE,
    service_id        slug,
    created_at        timestamptz NOT NULL DEFAULT now(),
    revoked_at        timestamptz
);
CREATE UNIQUE INDEX rating_links_active ON rating_links (service_point_id, coalesce(service_id, ''))
    WHERE revoked_at IS NULL;

-- Sites allowed to embed an organisation's rating pages in an iframe (CSP frame-ancestors sources).
CREATE TABLE web_embedding (
    org_id           slug PRIMARY KEY REFERENCES organisations ON DELETE CASCADE,
    frame_ancestors  text[] NOT NULL DEFAULT '{}'
);

-- Phone lines: a voice service (Twilio or alike) calls /phone/<id>/voice and signs every request with
-- its auth token (HMAC-SHA1), which must therefore be kept here as it is.
CREATE TABLE phone_lines (
    id                text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{20,64}$'),
    org_id            slug NOT NULL REFERENCES organisations ON DELETE CASCADE,
    service_point_id  slug NOT NULL REFERENCES service_points ON DELETE CASCADE,
    service_id        slug,
    language          text NOT NULL DEFAULT 'it' CHECK (language ~ '^[a-z]{2}$'),
    auth_token        text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    revoked_at        timestamptz
);

-- Abuse limits without personal data: a client (an address, a caller) is counted under an HMAC of it
-- keyed by a secret drawn for the UTC day and deleted after it, so yesterday's counts cannot be tied to
-- anyone. Counts live one window; nothing raw is ever written.
CREATE TABLE channel_day_secrets (
    day     date PRIMARY KEY,
    secret  bytea NOT NULL
);
CREATE TABLE channel_hits (
    window_start  timestamptz NOT NULL,
    subject       bytea NOT NULL,
    n             integer NOT NULL,
    PRIMARY KEY (window_start, subject)
);
