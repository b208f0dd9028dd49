-- Failed authentications (API keys, board sign-ins) join the enrolment codes in limited_attempts: every
-- collector process counts them in one place, and a restart forgets none (collector/api/auth_failures.py).
-- Only failures are written for API keys (a request with a valid key writes nothing); a board sign-in is a
-- row while it runs, as an enrolment attempt is. `client` stays an HMAC under the day's secret.
ALTER TABLE limited_attempts DROP CONSTRAINT limited_attempts_kind_check;
ALTER TABLE limited_attempts ADD CONSTRAINT limited_attempts_kind_check
    CHECK (kind IN ('enrolment', 'authentication'));
