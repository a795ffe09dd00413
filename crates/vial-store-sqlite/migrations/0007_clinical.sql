-- Clinical charting (SPEC §3). Everything about a patient's care is sealed under the patient's
-- DEK; what stays in clear is what scheduling, recall and the document life cycle need: ids,
-- times, states, and codes that carry no clinical detail.

-- Clinics. A mobile visit's address is PHI and is sealed on its appointment instead.
CREATE TABLE locations (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

-- Who is booked with whom, when and where: in clear for day views and double-booking checks.
-- The service and a mobile visit's address are sealed.
CREATE TABLE appointments (
    id            TEXT    PRIMARY KEY,
    patient_id    TEXT    NOT NULL REFERENCES patients (id),
    provider_id   TEXT    NOT NULL REFERENCES users (id),
    location_id   TEXT    REFERENCES locations (id),
    start_ms      INTEGER NOT NULL,
    end_ms        INTEGER NOT NULL CHECK (end_ms > start_ms),
    status        TEXT    NOT NULL
                  CHECK (status IN ('booked', 'checked_in', 'completed', 'cancelled', 'no_show')),
    service_enc   BLOB    NOT NULL,
    address_enc   BLOB,
    created_by    TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX appointments_by_provider ON appointments (provider_id, start_ms);
CREATE INDEX appointments_by_start ON appointments (start_ms);
CREATE INDEX appointments_by_patient ON appointments (patient_id, start_ms);

-- Clinical documents: treatment records, SOAP notes, treatment plans, consents, medical history
-- and amendments. The body is a sealed JSON document; its life cycle is in clear.
CREATE TABLE clinical_records (
    id             TEXT    PRIMARY KEY,
    patient_id     TEXT    NOT NULL REFERENCES patients (id),
    kind           TEXT    NOT NULL
                   CHECK (kind IN ('treatment', 'soap_note', 'plan', 'consent', 'history', 'amendment')),
    parent_id      TEXT    REFERENCES clinical_records (id),
    author_id      TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('draft', 'signed', 'revoked', 'current')),
    -- A code without clinical detail, e.g. a consent's `photography` or a treatment's `neurotoxin`.
    label          TEXT,
    body_enc       BLOB    NOT NULL,
    version        INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL,
    signed_by      TEXT,
    signed_at_ms   INTEGER,
    cosign         TEXT    CHECK (cosign IN ('not_required', 'awaiting', 'cosigned')),
    cosigned_by    TEXT,
    cosigned_at_ms INTEGER,
    revoked_at_ms  INTEGER
) STRICT;
CREATE INDEX clinical_records_by_patient ON clinical_records (patient_id, kind, created_at_ms);
CREATE INDEX clinical_records_by_parent ON clinical_records (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX clinical_records_awaiting ON clinical_records (cosign) WHERE cosign = 'awaiting';

-- Lot recall: for each lot (by the lot number's blind index) and patient, the treatments that
-- used it, as a list sealed under the patient's DEK, so a recall reads one row per patient.
CREATE TABLE lot_patients (
    lot_bidx   BLOB NOT NULL CHECK (length(lot_bidx) = 32),
    patient_id TEXT  NOT NULL REFERENCES patients (id),
    uses_enc   BLOB NOT NULL,
    PRIMARY KEY (lot_bidx, patient_id)
) STRICT, WITHOUT ROWID;

-- The practice's product catalogue and received stock: operational data, not PHI.
CREATE TABLE products (
    code          TEXT    PRIMARY KEY,
    body          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE inventory_lots (
    id              TEXT    PRIMARY KEY,
    product_code    TEXT    NOT NULL REFERENCES products (code),
    lot             TEXT    NOT NULL,
    expiry          TEXT    NOT NULL,
    -- In hundredths of the product's unit (units or syringes), like vial-clinical's quantities.
    received        INTEGER NOT NULL CHECK (received > 0),
    remaining       INTEGER NOT NULL CHECK (remaining >= 0),
    received_at_ms  INTEGER NOT NULL,
    UNIQUE (product_code, lot)
) STRICT;

-- Consent form versions the practice publishes; a signed consent names the exact version.
CREATE TABLE consent_forms (
    kind          TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    text          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, version)
) STRICT;

-- Practice settings (co-signature requirement, medical director).
CREATE TABLE practice_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
