-- A patient's own booking is a request (`requested`) that the front desk confirms. SQLite cannot
-- change a CHECK constraint in place, so the table is rebuilt with the new status allowed
-- (nothing references appointments, and the copy keeps every row as it was).
CREATE TABLE appointments_next (
    id            TEXT    PRIMARY KEY,
    patient_id    TEXT    NOT NULL REFERENCES patients (id),
    provider_id   TEXT    NOT NULL REFERENCES users (id),
    location_id   TEXT    REFERENCES locations (id),
    start_ms      INTEGER NOT NULL,
    end_ms        INTEGER NOT NULL CHECK (end_ms > start_ms),
    status        TEXT    NOT NULL
                  CHECK (status IN ('requested', 'booked', 'checked_in', 'completed', 'cancelled',
                                    'no_show')),
    service_enc   BLOB    NOT NULL,
    address_enc   BLOB,
    created_by    TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;
INSERT INTO appointments_next
    SELECT id, patient_id, provider_id, location_id, start_ms, end_ms, status, service_enc,
           address_enc, created_by, created_at_ms, updated_at_ms
    FROM appointments;
DROP TABLE appointments;
ALTER TABLE appointments_next RENAME TO appointments;
CREATE INDEX appointments_by_provider ON appointments (provider_id, start_ms);
CREATE INDEX appointments_by_start ON appointments (start_ms);
CREATE INDEX appointments_by_patient ON appointments (patient_id, start_ms);
-- The front desk's list of open requests.
CREATE INDEX appointments_by_status ON appointments (status, start_ms);
