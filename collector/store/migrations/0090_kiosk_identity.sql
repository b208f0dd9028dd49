-- One kiosk id, possibly several devices behind it (a cloned SD card, a restored backup, a test bench with
-- production credentials). Each kiosk outbox draws a random instance id when it is created and sends it with
-- every rating and heartbeat; sequence numbers, gaps and ack watermarks count per (kiosk, instance), so one
-- device's watermark never releases another's ratings. Kiosks that send no instance (protocol 1.0) keep
-- one sequence per kiosk: the nil instance.

CREATE TABLE kiosk_instances (
    kiosk_id           slug NOT NULL REFERENCES kiosks ON DELETE CASCADE,
    instance           uuid NOT NULL,        -- 00000000-0000-0000-0000-000000000000: sent none
    max_seq            bigint NOT NULL DEFAULT 0,   -- highest seq accounted for (stored or quarantined)
    acked_seq          bigint NOT NULL DEFAULT 0,   -- the watermark: max_seq, or just below the lowest open gap
    first_seen_at      timestamptz NOT NULL,
    last_seen_at       timestamptz NOT NULL,
    session_takeovers  bigint NOT NULL DEFAULT 0,   -- as its last heartbeat reported them
    PRIMARY KEY (kiosk_id, instance)
);

INSERT INTO kiosk_instances (kiosk_id, instance, max_seq, acked_seq, first_seen_at, last_seen_at)
SELECT id, '00000000-0000-0000-0000-000000000000', max_seq, acked_seq,
    coalesce(last_seen_at, created_at), coalesce(last_seen_at, created_at)
FROM kiosks WHERE max_seq > 0 OR acked_seq > 0 OR last_seen_at IS NOT NULL;
ALTER TABLE kiosks DROP COLUMN max_seq, DROP COLUMN acked_seq;

ALTER TABLE sequence_gaps ADD COLUMN instance uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000';
DROP INDEX sequence_gaps_open;
CREATE UNIQUE INDEX sequence_gaps_open ON sequence_gaps (kiosk_id, instance, first_seq) WHERE closed_at IS NULL;

-- Which device sent a rating (NULL: it sent no instance); refused ratings keep theirs too.
ALTER TABLE ratings ADD COLUMN instance uuid;
ALTER TABLE quarantine ADD COLUMN instance uuid;

-- Two devices behind one kiosk id: since when (NULL: none now), why, and when an operator last cleared it
-- (only what is heard after that counts again).
ALTER TABLE kiosks
    ADD COLUMN identity_conflict_since timestamptz,
    ADD COLUMN identity_conflict_reason text,
    ADD COLUMN identity_conflict_cleared_at timestamptz;

-- What happened to a kiosk that someone should hear about, for the alerting to deliver.
CREATE TABLE kiosk_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kiosk_id      slug NOT NULL REFERENCES kiosks ON DELETE CASCADE,
    org_id        slug NOT NULL REFERENCES organisations,
    kind          text NOT NULL CHECK (kind IN ('identity_conflict', 'identity_conflict_cleared')),
    at            timestamptz NOT NULL DEFAULT now(),
    detail        jsonb NOT NULL DEFAULT '{}',
    delivered_at  timestamptz               -- set once the alerting has told someone
);
CREATE INDEX kiosk_events_kiosk ON kiosk_events (kiosk_id, at);
CREATE INDEX kiosk_events_undelivered ON kiosk_events (id) WHERE delivered_at IS NULL;
