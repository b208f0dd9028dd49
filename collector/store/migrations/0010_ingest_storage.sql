-- Ingest storage: idempotency that survives any partitioning, clock anchors, gap
-- bookkeeping, and rollups that can move when a rating's time or misuse flag changes.
-- Existing data is carried over: keys, times of unsynchronised kiosks, gaps, watermarks
-- and every rollup are recomputed from the raw rows at the end.

-- 1. Idempotency. A TimescaleDB hypertable only accepts unique indexes that contain its
-- partitioning column, so the event id's uniqueness lives in a table of its own, the
-- same on both backends: a rating is stored iff its key was inserted in the same
-- transaction. Keys outlive the raw rows (see collector/store/maintenance.py).
CREATE TABLE rating_keys (
    event_id     uuid PRIMARY KEY,
    received_at  timestamptz NOT NULL      -- when the event was first stored
);
CREATE INDEX rating_keys_received ON rating_keys USING brin (received_at);
INSERT INTO rating_keys (event_id, received_at) SELECT event_id, received_at FROM ratings;
ALTER TABLE ratings DROP CONSTRAINT ratings_pkey;

-- 2. Where pressed_at came from: the kiosk's synchronised clock, a heartbeat anchor of
-- the kiosk's boot, or (provisionally, no anchor yet) our receive time.
CREATE TYPE time_source AS ENUM ('kiosk', 'anchored', 'received');
ALTER TABLE ratings ADD COLUMN time_source time_source NOT NULL DEFAULT 'kiosk';
UPDATE ratings SET pressed_at = received_at, time_source = 'received' WHERE NOT clock_synced;

-- Indexes of the ingest path: misuse windows per kiosk, re-placing a boot's ratings,
-- raw-row retention on plain PostgreSQL (TimescaleDB drops whole chunks instead).
DROP INDEX ratings_kiosk_seq;
CREATE INDEX ratings_kiosk_time ON ratings (kiosk_id, pressed_at);
CREATE INDEX ratings_unsynced_boot ON ratings (kiosk_id, boot_id) WHERE NOT clock_synced;
CREATE INDEX ratings_received ON ratings USING brin (received_at);

-- 3. Clock anchors: when each boot of a kiosk started, by our clock. Estimated as the
-- receive time of a heartbeat of that boot minus its uptime; the earliest estimate wins
-- (network delay only ever makes it later).
CREATE TABLE kiosk_boots (
    kiosk_id     slug NOT NULL,
    boot_id      uuid NOT NULL,
    started_at   timestamptz NOT NULL,
    anchored_at  timestamptz NOT NULL DEFAULT now(),   -- when started_at was last set
    PRIMARY KEY (kiosk_id, boot_id)
);

-- 4. Sequence bookkeeping. max_seq: the highest sequence number accounted for (stored, or
-- quarantined after parsing). acked_seq stays the watermark: max_seq, or just below the
-- lowest open gap. A gap that is partly filled is closed and its remainders are opened
-- again with the original opened_at, so the table keeps the history.
ALTER TABLE kiosks ADD COLUMN max_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE sequence_gaps DROP CONSTRAINT sequence_gaps_pkey;
ALTER TABLE sequence_gaps ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
CREATE UNIQUE INDEX sequence_gaps_open ON sequence_gaps (kiosk_id, first_seq) WHERE closed_at IS NULL;
CREATE INDEX sequence_gaps_kiosk ON sequence_gaps (kiosk_id, opened_at);

-- 5. Quarantined ratings that parsed keep their identity, so the kiosk's sequence is
-- accounted for (it stops resending) and an operator can find them per kiosk.
ALTER TABLE quarantine
    ADD COLUMN kiosk_id slug,
    ADD COLUMN seq bigint,
    ADD COLUMN event_id uuid;
CREATE INDEX quarantine_kiosk ON quarantine (kiosk_id, seq) WHERE kiosk_id IS NOT NULL;
CREATE INDEX quarantine_reason ON quarantine (reason, received_at);

-- 6. Rollups also count ratings whose time is provisional (no clock anchor yet); they are
-- included in positive/neutral/negative as well.
ALTER TABLE rollup_hourly ADD COLUMN provisional integer NOT NULL DEFAULT 0;
ALTER TABLE rollup_daily ADD COLUMN provisional integer NOT NULL DEFAULT 0;
ALTER TABLE rollup_monthly ADD COLUMN provisional integer NOT NULL DEFAULT 0;

-- Carry existing data over: gaps and watermarks from the stored sequence numbers ...
UPDATE kiosks k SET max_seq = m.max_seq
FROM (SELECT kiosk_id, max(seq) AS max_seq FROM ratings GROUP BY kiosk_id) m
WHERE m.kiosk_id = k.id;
DELETE FROM sequence_gaps;
INSERT INTO sequence_gaps (kiosk_id, first_seq, last_seq)
SELECT kiosk_id, prev + 1, seq - 1
FROM (
    SELECT kiosk_id, seq, coalesce(lag(seq) OVER (PARTITION BY kiosk_id ORDER BY seq), 0) AS prev
    FROM (SELECT DISTINCT kiosk_id, seq FROM ratings) s
) t
WHERE seq > prev + 1;
UPDATE kiosks k SET acked_seq = coalesce(
    (SELECT min(g.first_seq) - 1 FROM sequence_gaps g WHERE g.kiosk_id = k.id AND g.closed_at IS NULL), k.max_seq);

-- ... and every rollup from the raw rows.
TRUNCATE rollup_hourly, rollup_daily, rollup_monthly, reason_daily;
CREATE TEMP TABLE carried ON COMMIT DROP AS
SELECT r.*, (r.pressed_at AT TIME ZONE o.timezone) AS local_time
FROM ratings r JOIN organisations o ON o.id = r.org_id;
INSERT INTO rollup_hourly (bucket, service_point_id, service_id, channel, positive, neutral, negative, misuse, provisional)
SELECT date_trunc('hour', pressed_at, 'UTC'), service_point_id, coalesce(service_id, ''), channel,
    count(*) FILTER (WHERE face = 'positive' AND NOT misuse), count(*) FILTER (WHERE face = 'neutral' AND NOT misuse),
    count(*) FILTER (WHERE face = 'negative' AND NOT misuse), count(*) FILTER (WHERE misuse),
    count(*) FILTER (WHERE time_source = 'received' AND NOT misuse)
FROM carried GROUP BY 1, 2, 3, 4;
INSERT INTO rollup_daily (day, service_point_id, service_id, channel, positive, neutral, negative, misuse, provisional)
SELECT local_time::date, service_point_id, coalesce(service_id, ''), channel,
    count(*) FILTER (WHERE face = 'positive' AND NOT misuse), count(*) FILTER (WHERE face = 'neutral' AND NOT misuse),
    count(*) FILTER (WHERE face = 'negative' AND NOT misuse), count(*) FILTER (WHERE misuse),
    count(*) FILTER (WHERE time_source = 'received' AND NOT misuse)
FROM carried GROUP BY 1, 2, 3, 4;
INSERT INTO rollup_monthly (month, service_point_id, service_id, channel, positive, neutral, negative, misuse, provisional)
SELECT date_trunc('month', local_time)::date, service_point_id, coalesce(service_id, ''), channel,
    count(*) FILTER (WHERE face = 'positive' AND NOT misuse), count(*) FILTER (WHERE face = 'neutral' AND NOT misuse),
    count(*) FILTER (WHERE face = 'negative' AND NOT misuse), count(*) FILTER (WHERE misuse),
    count(*) FILTER (WHERE time_source = 'received' AND NOT misuse)
FROM carried GROUP BY 1, 2, 3, 4;
INSERT INTO reason_daily (day, service_point_id, service_id, channel, reason, n)
SELECT local_time::date, service_point_id, coalesce(service_id, ''), channel, reason, count(*)
FROM carried WHERE face = 'negative' AND reason IS NOT NULL AND NOT misuse
GROUP BY 1, 2, 3, 4, 5;
