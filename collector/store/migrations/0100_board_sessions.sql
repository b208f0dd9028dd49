-- The board's sign-in: sessions made from an API key pasted once, and one-time sign-in links.
-- Only SHA-256 of each random token is kept (as for API keys): a copy of the database signs nobody in.
-- A session or a link acts for its key as long as the key is not revoked (they are read joined to it).
CREATE TABLE board_sessions (
    token_sha256  bytea PRIMARY KEY,
    key_id        text NOT NULL REFERENCES api_keys ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    ended_at      timestamptz                -- signed out
);
CREATE INDEX board_sessions_key ON board_sessions (key_id);
CREATE INDEX board_sessions_expiry ON board_sessions (expires_at);

CREATE TABLE board_sign_in_links (
    token_sha256  bytea PRIMARY KEY,
    key_id        text NOT NULL REFERENCES api_keys ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz                -- a link works once
);
CREATE INDEX board_sign_in_links_expiry ON board_sign_in_links (expires_at);
