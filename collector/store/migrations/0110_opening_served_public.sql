-- Issue 15, first half: opening hours, citizens served (and the key role that posts them), public results.

-- Opening hours, in the organisation's local time: a weekly pattern and exceptions (holidays, closures,
-- shorter days), for the whole organisation, a site or a service point. The most specific pattern set
-- applies whole; an exception of a day replaces that day's pattern, the most specific exception winning.
-- Times are minutes after local midnight: 0-1439 for opening, 1-1440 for closing (1440 = the next
-- midnight), so a DST day is handled where instants are computed (collector/insight/schedule.py).
CREATE TABLE opening_hours (
    org_id      slug NOT NULL REFERENCES organisations ON DELETE CASCADE,
    scope       text NOT NULL CHECK (scope IN ('organisation', 'site', 'service_point')),
    scope_id    text NOT NULL DEFAULT '',
    weekday     smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),   -- ISO: 1 Monday ... 7 Sunday
    opens       smallint NOT NULL CHECK (opens BETWEEN 0 AND 1439),
    closes      smallint NOT NULL CHECK (closes BETWEEN 1 AND 1440),
    CHECK (opens < closes),
    CHECK ((scope = 'organisation') = (scope_id = '')),
    PRIMARY KEY (org_id, scope, scope_id, weekday, opens)
);

-- A day unlike the weekly pattern: no interval rows = closed all day; otherwise open in those intervals.
CREATE TABLE opening_exceptions (
    org_id      slug NOT NULL REFERENCES organisations ON DELETE CASCADE,
    scope       text NOT NULL CHECK (scope IN ('organisation', 'site', 'service_point')),
    scope_id    text NOT NULL DEFAULT '',
    day         date NOT NULL,
    note        text NOT NULL DEFAULT '',
    intervals   int4range[] NOT NULL DEFAULT '{}',    -- [opens, closes) in minutes; empty: closed
    CHECK ((scope = 'organisation') = (scope_id = '')),
    PRIMARY KEY (org_id, scope, scope_id, day)
);

-- Citizens served, as queue-ticket systems and offices post them: per service point, for all its services
-- (service_id '') or one, per local day or per hour. The key (service point, service, grain, start) makes
-- a post idempotent; posting it again is a correction (the last write wins, its time kept).
CREATE TABLE citizens_served (
    service_point_id  slug NOT NULL REFERENCES service_points ON DELETE CASCADE,
    service_id        text NOT NULL DEFAULT '',
    grain             text NOT NULL CHECK (grain IN ('day', 'hour')),
    period_start      timestamptz NOT NULL,
    period_end        timestamptz NOT NULL,
    day               date NOT NULL,                  -- the local day the period lies in
    served            integer NOT NULL CHECK (served BETWEEN 0 AND 1000000),
    posted_at         timestamptz NOT NULL DEFAULT now(),
    corrected_at      timestamptz,                    -- the last time a post changed the number
    corrections       integer NOT NULL DEFAULT 0,
    previous_served   integer,                        -- the number before the last correction
    CHECK (period_start < period_end),
    PRIMARY KEY (service_point_id, service_id, grain, period_start)
);
CREATE INDEX citizens_served_day ON citizens_served (day, service_point_id);

-- A key that may only post citizens served (a queue-ticket system).
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('admin', 'reader', 'ingest', 'served'));

-- Public results: opted in per organisation; cells with fewer ratings than min_count are suppressed.
CREATE TABLE public_results (
    org_id      slug PRIMARY KEY REFERENCES organisations ON DELETE CASCADE,
    enabled     boolean NOT NULL DEFAULT false,
    min_count   integer NOT NULL DEFAULT 10 CHECK (min_count BETWEEN 1 AND 10000),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
