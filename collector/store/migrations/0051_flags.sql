-- The flag rule (see collector/flags.py), in the database, so that the API, the board, alerts and
-- Grafana's PostgreSQL data source all compute it the same way, and the overview of thousands of
-- service points is judged and sorted where the counts are.
--
-- 95% Wilson score interval of k successes out of n: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n),
-- z = 1.959963984540054 (z² = 3.841458820694124). No observation: the whole range [0, 1].
-- Plain SQL expressions (not STRICT), so that the planner inlines them into the queries that use them.

-- centre + side * half-width, side = -1 (lower bound) or +1 (upper bound), in float8 throughout.
CREATE FUNCTION mlf_wilson_bound(k float8, n float8, side float8) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ((k / n + 3.841458820694124::float8 / (2 * n))
            + side * 1.959963984540054::float8 * sqrt((k / n) * (1 - k / n) / n + 3.841458820694124::float8 / (4 * n * n)))
           / (1 + 3.841458820694124::float8 / n);

CREATE FUNCTION mlf_wilson_low(k bigint, n bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN n <= 0 OR k <= 0 THEN 0.0::float8 ELSE greatest(0.0::float8, mlf_wilson_bound(k, n, -1)) END;

CREATE FUNCTION mlf_wilson_high(k bigint, n bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN n <= 0 OR k >= n THEN 1.0::float8 ELSE least(1.0::float8, mlf_wilson_bound(k, n, 1)) END;

-- The rule itself, from the two bounds that matter: why a service point is below target (the limits
-- its intervals miss wholly; empty when it is not), and its state.
CREATE FUNCTION mlf_flag_reasons_of(
    n bigint, green_high float8, red_low float8, min_green_share float8, max_red_share float8, min_ratings integer
) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN n < min_ratings THEN '{}'::text[] ELSE array_remove(ARRAY[
        CASE WHEN green_high < min_green_share THEN 'green_share_below_target' END,
        CASE WHEN red_low > max_red_share THEN 'red_share_above_limit' END], NULL) END;

CREATE FUNCTION mlf_flag_of(
    n bigint, green_high float8, red_low float8, min_green_share float8, max_red_share float8, min_ratings integer
) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN n < min_ratings THEN 'not_enough_data'
        WHEN green_high < min_green_share OR red_low > max_red_share THEN 'below_target'
        ELSE 'on_target' END;

-- The same from counts (misuse excluded), for ad-hoc queries and dashboards:
-- SELECT mlf_flag(positive, neutral, negative, 0.75, 0.10, 30) FROM ...
CREATE FUNCTION mlf_flag(
    positive bigint, neutral bigint, negative bigint,
    min_green_share float8, max_red_share float8, min_ratings integer
) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN mlf_flag_of(positive + neutral + negative,
        mlf_wilson_high(positive, positive + neutral + negative), mlf_wilson_low(negative, positive + neutral + negative),
        min_green_share, max_red_share, min_ratings);

CREATE FUNCTION mlf_flag_reasons(
    positive bigint, neutral bigint, negative bigint,
    min_green_share float8, max_red_share float8, min_ratings integer
) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN mlf_flag_reasons_of(positive + neutral + negative,
        mlf_wilson_high(positive, positive + neutral + negative), mlf_wilson_low(negative, positive + neutral + negative),
        min_green_share, max_red_share, min_ratings);
