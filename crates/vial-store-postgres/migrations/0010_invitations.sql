-- Onboarding by invitation: an account's state, who invited (or promoted) it and who approved
-- it; one-time invitation links, of which only a hash is stored.
ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('invited', 'awaiting_approval', 'active'));
ALTER TABLE users ADD COLUMN invited_by TEXT REFERENCES users (id);
ALTER TABLE users ADD COLUMN approved_by TEXT REFERENCES users (id);

-- At most one live link per account: issuing a new one replaces the old.
CREATE TABLE invitations (
    user_id       TEXT   PRIMARY KEY REFERENCES users (id),
    token_hash    BYTEA  NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    issued_at_ms  BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms    BIGINT
);
