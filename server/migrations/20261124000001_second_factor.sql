-- TOTP second factor (RFC 6238) with one-time recovery codes.

-- The shared secret (base32) once the person confirmed a first code; NULL = no second factor.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TEXT;
-- The newest 30-second time step whose code was accepted. A code is accepted only for a
-- later step, so an observed code cannot be replayed (RFC 6238 §5.2), on any node.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- Recovery codes are shown once; only their SHA-256 is kept (they are random, 50 bits, so a
-- slow hash adds nothing). A used code keeps its row with the time of use.
CREATE TABLE totp_recovery_code (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_sha256 TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    used_at     TEXT,
    PRIMARY KEY (user_id, code_sha256)
);
