-- Which target applies, in the database, beside the flag rule (0051_flags.sql): Grafana panels, alert
-- rules and the collector's own queries resolve it the same way instead of each spelling out the joins.
--
-- Precedence: the service point's own target, then the service's (only when a view is confined to one
-- service), then the organisation's default, then the built-in default (collector/flags.py,
-- DEFAULT_TARGET; a test checks that the two agree). Every column of `targets` is NOT NULL, so the
-- most specific row wins whole.
--
-- A set-returning SQL function with a standard body: the planner inlines it into the calling query
-- (FROM service_points sp CROSS JOIN LATERAL mlf_target(sp.org_id, sp.id, NULL) t), where it becomes
-- the three index lookups on targets' primary key that it stands for.
CREATE FUNCTION mlf_target(org text, service_point text, service text DEFAULT NULL)
RETURNS TABLE (min_green_share float8, max_red_share float8, min_ratings integer, window_days integer, source text)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT coalesce(tsp.min_green_share, tsv.min_green_share, tor.min_green_share, 0.75::float8),
           coalesce(tsp.max_red_share, tsv.max_red_share, tor.max_red_share, 0.10::float8),
           coalesce(tsp.min_ratings, tsv.min_ratings, tor.min_ratings, 30),
           coalesce(tsp.window_days, tsv.window_days, tor.window_days, 28),
           CASE WHEN tsp.org_id IS NOT NULL THEN 'service_point' WHEN tsv.org_id IS NOT NULL THEN 'service'
                WHEN tor.org_id IS NOT NULL THEN 'organisation' ELSE 'default' END
    FROM (SELECT 1) AS one
    LEFT JOIN targets tsp ON tsp.org_id = mlf_target.org AND tsp.scope = 'service_point'
                         AND tsp.scope_id = mlf_target.service_point
    LEFT JOIN targets tsv ON tsv.org_id = mlf_target.org AND tsv.scope = 'service'
                         AND tsv.scope_id = coalesce(mlf_target.service, '')
    LEFT JOIN targets tor ON tor.org_id = mlf_target.org AND tor.scope = 'organisation' AND tor.scope_id = '';
END;

-- Worst first, as a number: below target 0, on target 1, not enough data 2 (then callers order by the
-- upper bound of the green share, lowest first, and the lower bound of the red share, highest first).
CREATE FUNCTION mlf_flag_rank(state text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE state WHEN 'below_target' THEN 0 WHEN 'on_target' THEN 1 ELSE 2 END;
