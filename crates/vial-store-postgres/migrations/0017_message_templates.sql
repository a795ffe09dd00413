-- The practice's message templates (aftercare instructions and the like). No PHI: the only
-- placeholders, {first_name} and {date}, are filled in when a template is sent.
CREATE TABLE message_templates (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('neurotoxin', 'filler', 'procedure', 'general')),
    body          TEXT    NOT NULL,
    created_by    TEXT    NOT NULL REFERENCES users (id),
    created_at_ms BIGINT  NOT NULL
);
