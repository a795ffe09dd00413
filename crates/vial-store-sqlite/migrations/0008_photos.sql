-- Clinical photos (SPEC §3). The picture and its thumbnail live in the blob store, sealed under
-- the patient's DEK with AAD bound to the photo id; here only ids, times, sizes and the stored
-- format stay in clear. The view, body area and before/after phase are sealed in `meta_enc`.
-- A deleted photo keeps its row (and blobs) for the retention period: `deleted_at_ms` hides it.
CREATE TABLE photos (
    id            TEXT    PRIMARY KEY,
    patient_id    TEXT    NOT NULL REFERENCES patients (id),
    author_id     TEXT    NOT NULL REFERENCES users (id),
    treatment_id  TEXT    REFERENCES clinical_records (id),
    format        TEXT    NOT NULL CHECK (format IN ('jpeg', 'png')),
    width         INTEGER NOT NULL CHECK (width > 0),
    height        INTEGER NOT NULL CHECK (height > 0),
    photo_bytes   INTEGER NOT NULL CHECK (photo_bytes > 0),
    thumb_bytes   INTEGER NOT NULL CHECK (thumb_bytes > 0),
    meta_enc      BLOB    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    deleted_at_ms INTEGER,
    deleted_by    TEXT
) STRICT;
CREATE INDEX photos_by_patient ON photos (patient_id, created_at_ms);
