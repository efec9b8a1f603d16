-- How far the evidence chain was last verified. Exports state whether the chain is intact;
-- recomputing a chain of millions of entries for each export took longer than the export
-- itself, so the verification job keeps this checkpoint (a full pass at least daily, the new
-- entries in between) and an export verifies only what was sealed after it.
CREATE TABLE evidence_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    entry_hash TEXT NOT NULL,
    broken_seq INTEGER,
    full_at TEXT NOT NULL,
    checked_at TEXT NOT NULL
);
