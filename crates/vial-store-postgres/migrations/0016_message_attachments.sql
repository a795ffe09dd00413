-- Photos sent in a thread: sanitized (metadata stripped) and sealed under the patient's data key,
-- kept with their message; a provider may file one into the chart as a clinical photo.
CREATE TABLE message_attachments (
    id             TEXT    PRIMARY KEY,
    thread_id      TEXT    NOT NULL REFERENCES threads (id),
    message_id     TEXT    NOT NULL REFERENCES messages (id),
    author_id      TEXT    NOT NULL REFERENCES users (id),
    format         TEXT    NOT NULL CHECK (format IN ('jpeg', 'png')),
    width          BIGINT  NOT NULL CHECK (width > 0),
    height         BIGINT  NOT NULL CHECK (height > 0),
    content_enc    BYTEA    NOT NULL,
    created_at_ms  BIGINT  NOT NULL,
    filed_photo_id TEXT
);
CREATE INDEX message_attachments_by_thread ON message_attachments (thread_id, created_at_ms);
