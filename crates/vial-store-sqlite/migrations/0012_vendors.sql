-- The vendor registry: who may receive PHI, under which Business Associate Agreement. The
-- signed BAA document is stored sealed (envelope encryption), with the SHA-256 of its clear bytes.
CREATE TABLE vendors (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    service       TEXT    NOT NULL CHECK (service IN ('hosting', 'database', 'storage', 'email',
                          'sms', 'payments', 'analytics', 'backup', 'keys', 'other')),
    hosts         TEXT    NOT NULL CHECK (hosts <> ''),
    region        TEXT    NOT NULL,
    baa_signed    TEXT    NOT NULL CHECK (baa_signed GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    baa_expires   TEXT    NOT NULL CHECK (baa_expires GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    baa_sha256    TEXT    CHECK (baa_sha256 IS NULL OR length(baa_sha256) = 64),
    baa_document  BLOB,
    created_at_ms INTEGER NOT NULL,
    ended_at_ms   INTEGER,
    CHECK ((baa_document IS NULL) = (baa_sha256 IS NULL))
) STRICT;
