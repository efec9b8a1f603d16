-- Device compliance: API tokens for MDM/HR systems and the mail gateway, the minimised
-- inventory (only prohibited matches are kept), per-device compliance states with their
-- transitions, exemptions, and the evidence chain extended to compliance transitions.

-- Bearer tokens for /api/v1. Only the SHA-256 of the secret is stored; the secret is shown
-- once when the token is issued.
CREATE TABLE api_token (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,             -- sha256 hex of the whole token
    prefix       TEXT    NOT NULL,                    -- first characters, to recognise a token
    scopes       TEXT    NOT NULL,                    -- space-separated, e.g. 'inventory:write access:read'
    created_by   INTEGER REFERENCES users(id),        -- NULL when issued on the CLI
    created_at   TEXT    NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

-- Prohibited apps seen on a device in its last inventory report (data minimisation: the
-- full app list of a report is never stored).
CREATE TABLE device_app_match (
    device_id      INTEGER NOT NULL REFERENCES device(id),
    app_identifier TEXT    NOT NULL,
    display_name   TEXT,
    app_version    TEXT,
    first_seen_at  TEXT    NOT NULL,
    PRIMARY KEY (device_id, app_identifier)
);

-- State of one device under one rule: 'circular:<id>' (prohibited apps of that circular)
-- or 'stale' (device has not reported for too long).
CREATE TABLE device_compliance (
    device_id   INTEGER NOT NULL REFERENCES device(id),
    rule        TEXT    NOT NULL,
    circular_id INTEGER REFERENCES circular(id),
    state       TEXT    NOT NULL CHECK (state IN ('compliant', 'violating', 'warned', 'blocked', 'exempt', 'stale')),
    since       TEXT    NOT NULL,                     -- when the current state began
    apps        TEXT    NOT NULL DEFAULT '',          -- matched app identifiers, comma-separated
    warned_at   TEXT,
    block_at    TEXT,                                 -- warned_at + grace period
    PRIMARY KEY (device_id, rule)
);
CREATE INDEX device_compliance_state_idx ON device_compliance (state, device_id);

-- Every state change, with its time and cause; sealed into the evidence chain.
CREATE TABLE compliance_transition (
    id          INTEGER PRIMARY KEY,
    device_id   INTEGER NOT NULL REFERENCES device(id),
    rule        TEXT    NOT NULL,
    from_state  TEXT    NOT NULL,
    to_state    TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    cause       TEXT    NOT NULL,                     -- 'report', 'job', 'exemption', 'withdrawn'
    apps        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX compliance_transition_device_idx ON compliance_transition (device_id, id);

-- Time-limited exemption of one device from one circular's app ban.
CREATE TABLE exemption (
    id          INTEGER PRIMARY KEY,
    device_id   INTEGER NOT NULL REFERENCES device(id),
    circular_id INTEGER NOT NULL REFERENCES circular(id),
    reason      TEXT    NOT NULL,
    valid_until TEXT    NOT NULL,                     -- calendar date (Europe/Berlin), inclusive
    granted_by  INTEGER REFERENCES users(id),
    granted_at  TEXT    NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX exemption_device_idx ON exemption (device_id);

-- The chain gains a third kind of record. SQLite cannot alter a CHECK constraint, so the
-- table is rebuilt with identical rows.
CREATE TABLE evidence_entry_new (
    seq            INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('ack', 'audit', 'compliance')),
    ref_id         INTEGER NOT NULL,                  -- acknowledgment.id, audit_log.id or compliance_transition.id
    content_sha256 TEXT    NOT NULL,
    prev_hash      TEXT    NOT NULL,
    entry_hash     TEXT    NOT NULL,
    sealed_at      TEXT    NOT NULL,
    UNIQUE (kind, ref_id)
);
INSERT INTO evidence_entry_new SELECT seq, kind, ref_id, content_sha256, prev_hash, entry_hash, sealed_at FROM evidence_entry;
DROP TABLE evidence_entry;
ALTER TABLE evidence_entry_new RENAME TO evidence_entry;
