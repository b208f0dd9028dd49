-- Issue 15, second half: the difference of two independent proportions k1/n1 - k2/n2 with its 95% interval,
-- by Newcombe's hybrid score method (Newcombe 1998, Statistics in Medicine 17:873-890, method 10), built on
-- the Wilson intervals of each proportion (mlf_wilson_low/high, migration 0051), so an improvement action's
-- "before and after" and every share the collector shows rest on the same interval:
--   low  = d - sqrt((p1 - l1)^2 + (u2 - p2)^2),  high = d + sqrt((u1 - p1)^2 + (p2 - l2)^2),  d = p1 - p2.
-- With no observation on either side the difference is unknown: NULL.

CREATE FUNCTION mlf_newcombe_low(k1 bigint, n1 bigint, k2 bigint, n2 bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN n1 <= 0 OR n2 <= 0 THEN NULL ELSE
        (k1::float8 / n1 - k2::float8 / n2)
        - sqrt((k1::float8 / n1 - mlf_wilson_low(k1, n1)) ^ 2 + (mlf_wilson_high(k2, n2) - k2::float8 / n2) ^ 2) END;

CREATE FUNCTION mlf_newcombe_high(k1 bigint, n1 bigint, k2 bigint, n2 bigint) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN n1 <= 0 OR n2 <= 0 THEN NULL ELSE
        (k1::float8 / n1 - k2::float8 / n2)
        + sqrt((mlf_wilson_high(k1, n1) - k1::float8 / n1) ^ 2 + (k2::float8 / n2 - mlf_wilson_low(k2, n2)) ^ 2) END;
