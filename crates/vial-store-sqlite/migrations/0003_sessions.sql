-- Login state kept beside each user: failed attempts for lockout, the last TOTP step used
-- (a code is accepted once only).
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until_ms INTEGER;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- Server-side sessions. Only a hash of the bearer token or cookie is stored.
CREATE TABLE sessions (
    token_hash    BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    id            TEXT    NOT NULL UNIQUE,
    user_id       TEXT    NOT NULL REFERENCES users (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('browser', 'api')),
    device        TEXT,
    first_addr    TEXT,
    last_addr     TEXT,
    created_at_ms INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    reauth_at_ms  INTEGER NOT NULL,
    ended_at_ms   INTEGER,
    end_reason    TEXT
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id) WHERE ended_at_ms IS NULL;
