-- Notices ("you have a new secure message"): queued when a message is posted, sent by the
-- server's maintenance task, at most one per recipient per 15 minutes. No address and no
-- content is stored here: the text is fixed and the address is read (sealed) from users.
CREATE TABLE notices (
    id             TEXT    PRIMARY KEY,
    user_id        TEXT    NOT NULL REFERENCES users (id),
    queued_at_ms   BIGINT  NOT NULL,
    finished_at_ms BIGINT ,
    outcome        TEXT    CHECK (outcome IS NULL OR outcome IN ('sent', 'failed', 'skipped'))
);
CREATE INDEX notices_pending ON notices (queued_at_ms) WHERE outcome IS NULL;
CREATE INDEX notices_by_user ON notices (user_id, queued_at_ms);

CREATE TABLE notice_prefs (
    user_id       TEXT    PRIMARY KEY REFERENCES users (id),
    email_opt_out BIGINT  NOT NULL CHECK (email_opt_out IN (0, 1))
);
