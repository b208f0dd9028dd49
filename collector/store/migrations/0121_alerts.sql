-- Issue 15, second half: alerts that reach people (collector/alerts/).
--
-- The evaluator (one at a time across collectors: a transaction-level advisory lock) compares what it sees with
-- alert_state and stores an event only on a change: firing once, resolved once. Each event is fanned out, in the
-- same transaction, to the matching subscriptions as rows of alert_deliveries: the outbox that the delivery
-- loop works through, so an endpoint or a mail server that is down loses nothing and never holds evaluation up.

-- What is firing now (a row per alert and subject; gone when resolved), so a restart does not alert again.
CREATE TABLE alert_state (
    alert          text NOT NULL,
    subject        text NOT NULL,            -- the service point, the kiosk, or the quarantine reason
    org_id         text,                     -- NULL: the whole installation
    firing_since   timestamptz NOT NULL,
    clear_since    timestamptz,              -- since when its condition has been gone (resolved after the hold)
    event_id       bigint,
    detail         jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (alert, subject)
);

-- A kiosk's outbox: its lowest depth and since when it has not gone below it (it "keeps growing" when that
-- lasts and the depth has risen by enough).
CREATE TABLE alert_outbox_watch (
    kiosk_id   slug PRIMARY KEY REFERENCES kiosks ON DELETE CASCADE,
    low_depth  bigint NOT NULL,
    low_at     timestamptz NOT NULL,
    depth      bigint NOT NULL
);

CREATE TABLE alert_events (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert             text NOT NULL CHECK (alert IN ('below_target', 'kiosk_silent', 'identity_conflict',
                                                      'quarantine_spike', 'outbox_growing', 'test')),
    status            text NOT NULL CHECK (status IN ('firing', 'resolved')),
    at                timestamptz NOT NULL DEFAULT now(),
    org_id            slug REFERENCES organisations ON DELETE CASCADE,   -- NULL: the whole installation
    site_id           text,
    service_point_id  text,
    kiosk_id          text,
    subject           text NOT NULL,
    detail            jsonb NOT NULL DEFAULT '{}'                       -- the numbers, as the webhook sends them
);
CREATE INDEX alert_events_org ON alert_events (org_id, id);

-- Who hears what: an organisation's alerts (optionally of one site or service point, of some kinds), by
-- webhook or e-mail. The webhook secret signs each body (HMAC-SHA256); the API shows it once.
CREATE TABLE alert_subscriptions (
    id                    text PRIMARY KEY CHECK (id ~ '^sub_[a-z0-9]{12}$'),
    org_id                slug REFERENCES organisations ON DELETE CASCADE,  -- NULL: every organisation's
    site_id               slug REFERENCES sites ON DELETE CASCADE,
    service_point_id      slug REFERENCES service_points ON DELETE CASCADE,
    alerts                text[] NOT NULL DEFAULT '{}',                      -- empty: every alert
    channel               text NOT NULL CHECK (channel IN ('webhook', 'email')),
    target                text NOT NULL,                                     -- the URL or the address
    secret                text,
    languages             text[] NOT NULL DEFAULT '{it,en}',
    name                  text NOT NULL DEFAULT '',
    enabled               boolean NOT NULL DEFAULT true,
    disabled_at           timestamptz,
    disabled_reason       text,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    next_attempt_at       timestamptz,                                       -- backoff, or a sender's lease (NULL: due)
    created_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((channel = 'webhook') = (secret IS NOT NULL))
);

-- The outbox and the delivery log: one row per event and subscription, one attempt row per try.
CREATE TABLE alert_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         bigint NOT NULL REFERENCES alert_events ON DELETE CASCADE,
    subscription_id  text NOT NULL REFERENCES alert_subscriptions ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    attempts         integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_error       text,
    delivered_at     timestamptz,
    UNIQUE (event_id, subscription_id)
);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (subscription_id, id) WHERE status = 'pending';

CREATE TABLE alert_delivery_attempts (
    delivery_id  bigint NOT NULL REFERENCES alert_deliveries ON DELETE CASCADE,
    at           timestamptz NOT NULL DEFAULT now(),
    ok           boolean NOT NULL,
    http_status  integer,
    error        text,
    duration_ms  integer NOT NULL
);
CREATE INDEX alert_delivery_attempts_delivery ON alert_delivery_attempts (delivery_id, at);
