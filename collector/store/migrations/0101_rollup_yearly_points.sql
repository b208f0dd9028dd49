-- Counts per service point and local year over all its services and channels: with it, an overview over
-- whole years sums one row per service point and year, so five years cost about what one does (the
-- overview's cost follows service points, not history). Maintained with the other rollups, from the same
-- deltas, in the ingest transaction (collector/store/rollups.py).
CREATE TABLE rollup_yearly_points (
    year              date NOT NULL,          -- 1 January of the organisation's local year
    service_point_id  slug NOT NULL,
    positive          integer NOT NULL DEFAULT 0,
    neutral           integer NOT NULL DEFAULT 0,
    negative          integer NOT NULL DEFAULT 0,
    misuse            integer NOT NULL DEFAULT 0,
    provisional       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (year, service_point_id)
);

-- From the monthly rollup, not the raw rows: those may be gone already (raw-row retention).
INSERT INTO rollup_yearly_points (year, service_point_id, positive, neutral, negative, misuse, provisional)
SELECT date_trunc('year', month)::date, service_point_id, sum(positive), sum(neutral), sum(negative), sum(misuse),
       sum(provisional)
FROM rollup_monthly_points GROUP BY 1, 2;
