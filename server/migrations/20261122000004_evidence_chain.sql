-- Tamper-evident evidence: every acknowledgment (with its device attestations) and every
-- audit-log entry is sealed, in commit order, into a SHA-256 hash chain by a background job.

-- Commitment to the person of an acknowledgment: sha256(person_salt || ':' || user_id). The
-- chain covers the commitment, not the user id, so that after the retention period the link
-- to the person can be removed (salt deleted, user pseudonymised) while the chain verifies.
ALTER TABLE acknowledgment ADD COLUMN person_commitment TEXT;
ALTER TABLE acknowledgment ADD COLUMN person_salt TEXT;

CREATE TABLE evidence_entry (
    seq            INTEGER PRIMARY KEY,               -- 1, 2, 3, … without gaps
    kind           TEXT    NOT NULL CHECK (kind IN ('ack', 'audit')),
    ref_id         INTEGER NOT NULL,                  -- acknowledgment.id or audit_log.id
    content_sha256 TEXT    NOT NULL,                  -- hash of the record's canonical JSON
    prev_hash      TEXT    NOT NULL,                  -- entry_hash of seq - 1 (64 zeros for seq 1)
    entry_hash     TEXT    NOT NULL,                  -- sha256("seq|kind|ref_id|content_sha256|prev_hash")
    sealed_at      TEXT    NOT NULL,
    UNIQUE (kind, ref_id)
);
