-- Attempts limited across every collector process and restart (collector/enrolment/limits.py): all API
-- processes count in one place, so running several (or restarting one) gives no one more guesses.
-- One row per attempt of a `kind`: `failed` false while it is in flight (it counts already, so attempts
-- made at once cannot outrun a limit), deleted when it succeeds, true once it failed. `client` is never an
-- address: an HMAC of it under the secret of the UTC day (channel_day_secrets, as the channels' abuse
-- counts), which is deleted the day after. Rows past the longest window are pruned by housekeeping.
CREATE TABLE limited_attempts (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind    text NOT NULL CHECK (kind IN ('enrolment')),
    client  bytea NOT NULL,
    at      timestamptz NOT NULL DEFAULT now(),
    failed  boolean NOT NULL DEFAULT false
);
CREATE INDEX limited_attempts_kind ON limited_attempts (kind, at);
CREATE INDEX limited_attempts_client ON limited_attempts (kind, client, at);
