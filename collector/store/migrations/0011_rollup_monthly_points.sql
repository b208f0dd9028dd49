-- Counts per service point and local month over all its services and channels: what the overview
-- of thousands of service points sums when it is not filtered by service or channel (a third of
-- rollup_monthly's rows or fewer). Maintained with the other rollups, from the same deltas.
CREATE TABLE rollup_monthly_points (
    month             date NOT NULL,          -- first day of the organisation's local month
    service_point_id  slug NOT NULL,
    positive          integer NOT NULL DEFAULT 0,
    neutral           integer NOT NULL DEFAULT 0,
    negative          integer NOT NULL DEFAULT 0,
    misuse            integer NOT NULL DEFAULT 0,
    provisional       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (month, service_point_id)
);

-- From the monthly rollup, not the raw rows: those may be gone already (raw-row retention).
INSERT INTO rollup_monthly_points (month, service_point_id, positive, neutral, negative, misuse, provisional)
SELECT month, service_point_id, sum(positive), sum(neutral), sum(negative), sum(misuse), sum(provisional)
FROM rollup_monthly GROUP BY month, service_point_id;
