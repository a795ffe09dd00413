-- The audit log: append-only, hash-chained. `entry` is the canonical encoding (ids and codes,
-- never PHI values); actor/patient/action/outcome are copies for indexed review queries.
CREATE TABLE audit_log (
    seq        BIGINT  PRIMARY KEY CHECK (seq >= 0),
    time_ms    BIGINT  NOT NULL,
    actor      TEXT,
    patient_id TEXT,
    action     TEXT    NOT NULL,
    outcome    TEXT    NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    entry      BYTEA   NOT NULL,
    leaf_hash  BYTEA   NOT NULL CHECK (length(leaf_hash) = 32),
    chain_hash BYTEA   NOT NULL CHECK (length(chain_hash) = 32)
);
CREATE INDEX audit_by_patient ON audit_log (patient_id, seq) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_by_actor ON audit_log (actor, seq) WHERE actor IS NOT NULL;

CREATE TABLE audit_checkpoints (
    tree_size     BIGINT PRIMARY KEY CHECK (tree_size > 0),
    root_hash     BYTEA  NOT NULL CHECK (length(root_hash) = 32),
    signed_note   TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE FUNCTION vial_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END
$$;

-- Six years (6 x 365.25 days) is the floor; the code may be configured longer, never shorter.
CREATE FUNCTION vial_audit_log_retention() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.time_ms > (extract(epoch FROM now()) * 1000)::BIGINT - 189345600000 THEN
        RAISE EXCEPTION 'audit entries younger than the six-year retention period cannot be deleted';
    END IF;
    RETURN OLD;
END
$$;

CREATE FUNCTION vial_audit_checkpoint_retention() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.created_at_ms > (extract(epoch FROM now()) * 1000)::BIGINT - 189345600000 THEN
        RAISE EXCEPTION 'audit checkpoints younger than the six-year retention period cannot be deleted';
    END IF;
    RETURN OLD;
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION vial_audit_append_only();
CREATE TRIGGER audit_log_retention BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION vial_audit_log_retention();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION vial_audit_append_only();
CREATE TRIGGER audit_checkpoints_retention BEFORE DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION vial_audit_checkpoint_retention();
