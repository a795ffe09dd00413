-- Patient demographics: every field a ciphertext under the patient's DEK; exact-match search only
-- through blind indexes (HMAC with a key of its own).
CREATE TABLE patients (
    id            TEXT    PRIMARY KEY,
    given_enc     BYTEA   NOT NULL,
    family_enc    BYTEA   NOT NULL,
    dob_enc       BYTEA   NOT NULL,
    phone_enc     BYTEA,
    email_enc     BYTEA,
    family_bidx   BYTEA   NOT NULL CHECK (length(family_bidx) = 32),
    dob_bidx      BYTEA   NOT NULL CHECK (length(dob_bidx) = 32),
    phone_bidx    BYTEA   CHECK (length(phone_bidx) = 32),
    email_bidx    BYTEA   CHECK (length(email_bidx) = 32),
    created_at_ms BIGINT  NOT NULL
);
CREATE INDEX patients_by_family_dob ON patients (family_bidx, dob_bidx);
CREATE INDEX patients_by_phone ON patients (phone_bidx) WHERE phone_bidx IS NOT NULL;
CREATE INDEX patients_by_email ON patients (email_bidx) WHERE email_bidx IS NOT NULL;

-- Care team: which providers may see a patient. Changed only through audited actions.
CREATE TABLE care_team (
    patient_id    TEXT    NOT NULL REFERENCES patients (id),
    provider_id   TEXT    NOT NULL REFERENCES users (id),
    reason        TEXT    NOT NULL CHECK (reason IN ('assigned', 'booked')),
    created_at_ms BIGINT  NOT NULL,
    PRIMARY KEY (patient_id, provider_id)
);
