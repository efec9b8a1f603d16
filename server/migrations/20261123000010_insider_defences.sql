-- Insider defences: four eyes bound to content, device identities owners cannot rewrite,
-- sessions that end with a password change, and sign-in throttling that works across nodes.

-- Everyone who changed any part of a version's content (text, dates, audience, apps,
-- attachments). Nobody listed here may approve the version.
CREATE TABLE circular_version_editor (
    version_id    INTEGER NOT NULL REFERENCES circular_version(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    first_edit_at TEXT    NOT NULL,
    PRIMARY KEY (version_id, user_id)
);
INSERT INTO circular_version_editor (version_id, user_id, first_edit_at)
    SELECT id, author_id, created_at FROM circular_version;

-- Set when an admin or the MDM imported or auto-registered the device: from then on (and
-- once an MDM has reported it, see last_inventory_at) its owner cannot change its
-- identifiers or platform.
ALTER TABLE device ADD COLUMN managed_at TEXT;

-- Who an identifier (MDM id, IMEI) belongs to, for ever: a second person's claim is refused
-- even after the device was retired or the identifier cleared, and a device re-registered
-- under an identifier inherits the standing of the device that carried it before.
CREATE TABLE device_identifier (
    kind        TEXT    NOT NULL CHECK (kind IN ('mdm_id', 'imei')),
    value       TEXT    NOT NULL,
    owner_id    INTEGER NOT NULL REFERENCES users(id),
    device_id   INTEGER NOT NULL REFERENCES device(id), -- the device that carried it last
    claimed_at  TEXT    NOT NULL,
    PRIMARY KEY (kind, value)
);
INSERT INTO device_identifier (kind, value, owner_id, device_id, claimed_at)
    SELECT 'mdm_id', mdm_id, owner_id, id, registered_at FROM device WHERE mdm_id IS NOT NULL;
INSERT INTO device_identifier (kind, value, owner_id, device_id, claimed_at)
    SELECT 'imei', imei, owner_id, id, registered_at FROM device WHERE imei IS NOT NULL;

-- Sessions signed in before this instant are void (password change, admin reset, "end all
-- sessions"). Milliseconds since the epoch, compared with the session's sign-in time.
ALTER TABLE users ADD COLUMN sessions_valid_from INTEGER NOT NULL DEFAULT 0;

-- Failed sign-ins per account and per client address, for throttling on every node.
-- `key` is 'account:<email>' or 'ip:<address>'; rows expire with their window.
CREATE TABLE login_throttle (
    key           TEXT    PRIMARY KEY,
    failures      INTEGER NOT NULL,
    window_start  INTEGER NOT NULL,                 -- ms since the epoch
    locked_until  INTEGER NOT NULL DEFAULT 0        -- ms since the epoch; 0 = not locked
);

-- The signed-in sessions of each person, so that people can see where they are signed in
-- and end sessions, and admins can end all of a person's sessions. `sid` is a random id kept
-- in the session's data (never the cookie value); a session whose row is gone has ended.
CREATE TABLE user_session (
    sid          TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    signed_in_at TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL,                  -- updated at most once a minute
    user_agent   TEXT    NOT NULL DEFAULT ''        -- first 200 characters, to name the browser
);
CREATE INDEX user_session_user_idx ON user_session (user_id);
