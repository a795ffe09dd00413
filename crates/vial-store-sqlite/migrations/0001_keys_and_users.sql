-- Data keys: one per owner (patient or user), wrapped by a KEK version kept outside the database.
CREATE TABLE deks (
    id            BLOB    PRIMARY KEY CHECK (length(id) = 16),
    owner         TEXT    NOT NULL UNIQUE,
    kek_version   INTEGER NOT NULL CHECK (kek_version > 0),
    wrapped       BLOB    NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX deks_by_kek_version ON deks (kek_version, id);

-- Users: name, email and TOTP secret are ciphertexts; the email is searchable by blind index only.
CREATE TABLE users (
    id             TEXT    PRIMARY KEY,
    role           TEXT    NOT NULL CHECK (role IN ('provider', 'staff', 'admin', 'patient')),
    email_bidx     BLOB    NOT NULL UNIQUE CHECK (length(email_bidx) = 32),
    email_enc      BLOB    NOT NULL,
    name_enc       BLOB    NOT NULL,
    password_hash  TEXT    NOT NULL,
    totp_enc       BLOB,
    patient_id     TEXT,
    created_at_ms  INTEGER NOT NULL,
    disabled_at_ms INTEGER
) STRICT;
