-- The audit log: append-only, hash-chained. `entry` is the canonical encoding (ids and codes,
-- never PHI values); actor/patient/action/outcome are copies for indexed review queries.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY CHECK (seq >= 0),
    time_ms    INTEGER NOT NULL,
    actor      TEXT,
    patient_id TEXT,
    action     TEXT    NOT NULL,
    outcome    TEXT    NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    entry      BLOB    NOT NULL,
    leaf_hash  BLOB    NOT NULL CHECK (length(leaf_hash) = 32),
    chain_hash BLOB    NOT NULL CHECK (length(chain_hash) = 32)
) STRICT;
CREATE INDEX audit_by_patient ON audit_log (patient_id, seq) WHERE patient_id IS NOT NULL;


CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only');
END;

-- Six years (6 x 365.25 days) is the floor; the code may be configured longer, never shorter.
CREATE TRIGGER audit_log_retention BEFORE DELETE ON audit_log
WHEN old.time_ms > (CAST(strftime('%s', 'now') AS INTEGER) - 189345600) * 1000
BEGIN
    SELECT RAISE(ABORT, 'audit entries younger than the six-year retention period cannot be deleted');
END;

-- Signed checkpoints over the Merkle tree of entries [0, tree_size).
CREATE TABLE audit_checkpoints (
    tree_size     INTEGER PRIMARY KEY CHECK (tree_size > 0),
    root_hash     BLOB    NOT NULL CHECK (length(root_hash) = 32),
    signed_note   TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints are append-only');
END;
CREATE TRIGGER audit_checkpoints_retention BEFORE DELETE ON audit_checkpoints
WHEN old.created_at_ms > (CAST(strftime('%s', 'now') AS INTEGER) - 189345600) * 1000
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints younger than the six-year retention period cannot be deleted');
END;
