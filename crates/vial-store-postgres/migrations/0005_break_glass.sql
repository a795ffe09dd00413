-- Break-glass grants: a provider's time-limited access to a patient off their care team. The
-- stated reason is free text, so it is sealed under the patient's DEK like any other PHI.
CREATE TABLE break_glass (
    id            TEXT    PRIMARY KEY,
    patient_id    TEXT    NOT NULL REFERENCES patients (id),
    provider_id   TEXT    NOT NULL REFERENCES users (id),
    reason_enc    BYTEA   NOT NULL,
    created_at_ms BIGINT  NOT NULL,
    expires_at_ms BIGINT  NOT NULL
);
CREATE INDEX break_glass_by_pair ON break_glass (patient_id, provider_id, expires_at_ms);
CREATE INDEX break_glass_by_time ON break_glass (created_at_ms);
