-- Data keys: one per owner (patient or user), wrapped by a KEK version kept outside the database.
CREATE TABLE deks (
    id            BYTEA   PRIMARY KEY CHECK (length(id) = 16),
    owner         TEXT    NOT NULL UNIQUE,
    kek_version   BIGINT  NOT NULL CHECK (kek_version > 0),
    wrapped       BYTEA   NOT NULL,
    created_at_ms BIGINT  NOT NULL
);
CREATE INDEX deks_by_kek_version ON deks (kek_version, id);

-- Users: name, email and TOTP secret are ciphertexts; the email is searchable by blind index only.
CREATE TABLE users (
    id             TEXT    PRIMARY KEY,
    role           TEXT    NOT NULL CHECK (role IN ('provider', 'staff', 'admin', 'patient')),
    email_bidx     BYTEA   NOT NULL UNIQUE CHECK (length(email_bidx) = 32),
    email_enc      BYTEA   NOT NULL,
    name_enc       BYTEA   NOT NULL,
    password_hash  TEXT    NOT NULL,
    totp_enc       BYTEA,
    patient_id     TEXT,
    created_at_ms  BIGINT  NOT NULL,
    disabled_at_ms BIGINT
);
