-- One-time recovery codes for when the authenticator is lost. Only keyed hashes are stored.
CREATE TABLE recovery_codes (
    user_id    TEXT    NOT NULL REFERENCES users (id),
    code_hash  BYTEA   NOT NULL CHECK (length(code_hash) = 32),
    used_at_ms BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
