-- What the API adds: API keys, the reasons catalogue, targets, kiosk credentials and kiosk configuration.
-- None of it touches the ingest path's tables except for an index on ratings that keeps exports by time fast.

-- API keys: only a SHA-256 of the secret is stored (the secret is 256 random bits, so a slow hash adds
-- nothing). `org_id` set: the key sees that organisation only.
CREATE TABLE api_keys (
    id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{12}$'),
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'reader', 'ingest')),
    org_id        slug REFERENCES organisations ON DELETE CASCADE,
    secret_sha256 bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);

-- Reasons a citizen may give after a red face, per organisation, in Italian and English.
CREATE TABLE reasons (
    org_id      slug NOT NULL REFERENCES organisations ON DELETE CASCADE,
    code        slug NOT NULL,
    label_it    text NOT NULL,
    label_en    text NOT NULL,
    position    integer NOT NULL DEFAULT 0,
    active      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (org_id, code)
);

-- Targets: per service point, per service, or the organisation's default (scope_id '').
CREATE TABLE targets (
    org_id           slug NOT NULL REFERENCES organisations ON DELETE CASCADE,
    scope            text NOT NULL CHECK (scope IN ('organisation', 'service', 'service_point')),
    scope_id         text NOT NULL DEFAULT '',
    min_green_share  double precision NOT NULL CHECK (min_green_share BETWEEN 0 AND 1),
    max_red_share    double precision NOT NULL CHECK (max_red_share BETWEEN 0 AND 1),
    min_ratings      integer NOT NULL CHECK (min_ratings >= 1),
    window_days      integer NOT NULL CHECK (window_days BETWEEN 1 AND 366),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, scope, scope_id),
    CHECK ((scope = 'organisation') = (scope_id = ''))
);

-- A kiosk's MQTT password, as mosquitto's own PBKDF2-SHA512 hash line part (never the password).
CREATE TABLE kiosk_credentials (
    kiosk_id       slug PRIMARY KEY REFERENCES kiosks ON DELETE CASCADE,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- What a kiosk is told on its retained config topic, and what was published last.
CREATE TABLE kiosk_settings (
    kiosk_id          slug PRIMARY KEY REFERENCES kiosks ON DELETE CASCADE,
    services          text[] NOT NULL DEFAULT '{}',
    languages         text[] NOT NULL DEFAULT '{it,en}',
    cooldown_s        double precision NOT NULL DEFAULT 3.0 CHECK (cooldown_s BETWEEN 0 AND 600),
    config_revision   bigint NOT NULL DEFAULT 0,
    config_digest     text,
    published_at      timestamptz
);

CREATE INDEX ratings_pressed_at_event ON ratings (pressed_at, event_id);
-- Open gaps per kiosk are found through sequence_gaps_open (0010).

-- Services get an English label beside the Italian name (kiosks show both).
ALTER TABLE services ADD COLUMN name_en text;
