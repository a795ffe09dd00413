-- Consults: colleagues invited into one workforce thread. An invitation opens that thread to a
-- provider off the care team, and nothing else of the patient's.
CREATE TABLE thread_invites (
    thread_id TEXT NOT NULL REFERENCES threads (id),
    user_id   TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (thread_id, user_id)
) STRICT;
CREATE INDEX thread_invites_by_user ON thread_invites (user_id);
