-- Secure messaging: threads about one patient, their messages (bodies, subjects and retraction
-- reasons sealed under the patient's data key), and read receipts. No message is ever deleted:
-- a retraction marks it and keeps the body as history.
CREATE TABLE threads (
    id                 TEXT    PRIMARY KEY,
    patient_id         TEXT    NOT NULL REFERENCES patients (id),
    audience           TEXT    NOT NULL CHECK (audience IN ('patient', 'team')),
    reason             TEXT    NOT NULL
                       CHECK (reason IN ('post_treatment_concern', 'scheduling', 'billing', 'other')),
    urgent             BIGINT  NOT NULL CHECK (urgent IN (0, 1)),
    subject_enc        BYTEA,
    status             TEXT    NOT NULL CHECK (status IN ('open', 'closed')),
    assigned_to        TEXT    REFERENCES users (id),
    created_by         TEXT    NOT NULL REFERENCES users (id),
    created_at_ms      BIGINT  NOT NULL,
    last_message_at_ms BIGINT  NOT NULL
);
CREATE INDEX threads_by_patient ON threads (patient_id);
CREATE INDEX threads_by_box ON threads (status, urgent DESC, last_message_at_ms DESC);

CREATE TABLE messages (
    id                 TEXT    PRIMARY KEY,
    thread_id          TEXT    NOT NULL REFERENCES threads (id),
    author_id          TEXT    REFERENCES users (id), -- NULL: the practice's automatic reply
    body_enc           BYTEA    NOT NULL,
    internal           BIGINT  NOT NULL CHECK (internal IN (0, 1)),
    created_at_ms      BIGINT  NOT NULL,
    retracted_at_ms    BIGINT ,
    retract_reason_enc BYTEA,
    corrects           TEXT    REFERENCES messages (id)
);
CREATE INDEX messages_by_thread ON messages (thread_id, created_at_ms);

CREATE TABLE thread_reads (
    thread_id  TEXT    NOT NULL REFERENCES threads (id),
    user_id    TEXT    NOT NULL REFERENCES users (id),
    read_at_ms BIGINT  NOT NULL,
    PRIMARY KEY (thread_id, user_id)
);
