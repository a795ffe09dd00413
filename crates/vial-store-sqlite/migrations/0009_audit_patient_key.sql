-- The access report's index, keyed so that appends stay local. Entries fall in buckets of
-- 4,096 by seq, and within a bucket sort by a short suffix of the patient id (the random tail
-- of `pat_<uuid>`). A batch of appends (a group commit of many requests, or a lot recall's one
-- entry per patient) then dirties a few dozen pages of the newest buckets instead of one page
-- per entry scattered over the whole index, and each entry is a third of the old
-- (patient_id, seq) entry. A report probes one range per bucket and re-checks the full id, so
-- ids sharing a suffix only cost an extra row read. `AUDIT_FOR_PATIENT_SQL` spells the same
-- expressions; SQLite uses an expression index only when the query does.
DROP INDEX audit_by_patient;
CREATE INDEX audit_by_patient_key
    ON audit_log (seq >> 12, substr(patient_id, length(patient_id) - 7))
    WHERE patient_id IS NOT NULL;
