-- Roll-up counts kept current by deltas (issues #12 and #14).
--
-- Until now every acknowledgment, statement, device, person and draft moved the single
-- `tracking_epoch`, which made the stored counts of *every* version stale: during the morning
-- peak each dashboard view and each row of the publishers' list recounted a whole city.
-- Now the frequent changes apply their effect to the stored counts in the same transaction,
-- through the triggers below:
--   * an acknowledgment: +1 acknowledged for each version of its circular it is valid for,
--     unless the person already had a valid one;
--   * a clean device statement: -1 unclean for each such version, unless the device already
--     had a clean statement valid for it;
--   * a new device: +1 unclean wherever its owner is addressed; a device retired (or brought
--     back): -1 (+1) where it was unclean;
--   * a person who joins, leaves, moves to another unit or gets another "in unit since" date:
--     their old contribution (audience 1, acknowledged 0/1, their unclean devices) is taken
--     out and the new one put in.
-- A change to one version or its audience only marks that version's counts incomplete.
-- What remains rare (a unit moved or renamed in the tree, deletions by retention, a device
-- changing owner) still moves `tracking_epoch`, and every version is then rebuilt.
--
-- Rebuilds (tracking::counts::ensure) run in short chunks of units. A delta applies
-- wherever `rollup_state` has a row for the version, also while its counts are being rebuilt:
-- a chunk recomputes its units exactly, inside the writer and after every earlier delta, so a
-- delta that reached a unit before its chunk is overwritten and one that comes after counts.
-- `complete` says every chunk is done; `build` tells a rebuild that another has taken over.
--
-- The expressions of audience, valid acknowledgment and personal deadline are those of
-- circulars::repo (IN_AUDIENCE, HAS_VALID_ACK, PERSONAL_DEADLINE); a unit test keeps them equal.
--
-- The reminder schedule skips a version it went through the same day when nothing changed
-- (`reminder_run`); as people changes no longer move `tracking_epoch`, they move
-- `people_epoch`, and the schedule compares the sum of both.
CREATE TABLE people_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO people_epoch (id, n) VALUES (1, 0);

-- Bulk changes (an org or device import touching thousands of rows) would pay a delta per
-- row and version; they suspend the deltas inside their own transaction and move the epoch
-- instead (tracking::counts::suspend_deltas), so no other transaction ever sees the flag.
CREATE TABLE rollup_suspended (id INTEGER PRIMARY KEY CHECK (id = 1));

ALTER TABLE rollup_state ADD COLUMN complete BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE rollup_state ADD COLUMN build INTEGER NOT NULL DEFAULT 0;

-- "Has this device a clean statement valid for that version?" looks a device up.
CREATE INDEX acknowledgment_device_device_idx ON acknowledgment_device (device_id);

DROP TRIGGER acknowledgment_insert_epoch;
DROP TRIGGER acknowledgment_device_insert_epoch;
DROP TRIGGER device_insert_epoch;
DROP TRIGGER device_update_epoch;
DROP TRIGGER users_insert_epoch;
DROP TRIGGER users_update_epoch;
DROP TRIGGER circular_version_insert_epoch;
DROP TRIGGER circular_version_delete_epoch;
DROP TRIGGER circular_version_update_epoch;
DROP TRIGGER circular_audience_insert_epoch;
DROP TRIGGER circular_audience_delete_epoch;
DROP TRIGGER circular_audience_update_epoch;
-- Only a real change moves the epoch (an UPDATE that sets the same owner or parent again
-- would otherwise mark every version stale).
CREATE TRIGGER device_update_epoch AFTER UPDATE OF owner_id ON device WHEN OLD.owner_id IS NOT NEW.owner_id
BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
DROP TRIGGER org_unit_update_epoch;
CREATE TRIGGER org_unit_update_epoch AFTER UPDATE OF path, parent_id ON org_unit
WHEN OLD.path IS NOT NEW.path OR OLD.parent_id IS NOT NEW.parent_id
BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;

-- A version's own changes concern its own counts and reminders only (deleting a version
-- deletes both through their foreign keys).
CREATE TRIGGER circular_version_update_rollup AFTER UPDATE OF status, ack_basis_no, ack_deadline, published_at, whole_city ON circular_version BEGIN
    UPDATE rollup_state SET complete = 0, build = build + 1 WHERE version_id = NEW.id;
    DELETE FROM reminder_run WHERE version_id = NEW.id;
END;
CREATE TRIGGER circular_audience_insert_rollup AFTER INSERT ON circular_audience BEGIN
    UPDATE rollup_state SET complete = 0, build = build + 1 WHERE version_id = NEW.version_id;
    DELETE FROM reminder_run WHERE version_id = NEW.version_id;
END;
CREATE TRIGGER circular_audience_delete_rollup AFTER DELETE ON circular_audience BEGIN
    UPDATE rollup_state SET complete = 0, build = build + 1 WHERE version_id = OLD.version_id;
    DELETE FROM reminder_run WHERE version_id = OLD.version_id;
END;
CREATE TRIGGER circular_audience_update_rollup AFTER UPDATE ON circular_audience BEGIN
    UPDATE rollup_state SET complete = 0, build = build + 1 WHERE version_id IN (OLD.version_id, NEW.version_id);
    DELETE FROM reminder_run WHERE version_id IN (OLD.version_id, NEW.version_id);
END;

CREATE TRIGGER acknowledgment_insert_rollup AFTER INSERT ON acknowledgment
WHEN NOT EXISTS (SELECT 1 FROM rollup_suspended) BEGIN
    INSERT INTO rollup_count (version_id, unit_id, deadline, audience, acknowledged, unclean)
    SELECT v.id, u.org_unit_id, (CASE WHEN substr(u.unit_since, 1, 10) > substr(v.published_at, 1, 10)
      THEN max(v.ack_deadline, date(substr(u.unit_since, 1, 10), '+' || rs.late_days || ' days')) ELSE v.ack_deadline END),
           0, 1, 0
      FROM circular_version kv
      JOIN circular_version v ON v.circular_id = kv.circular_id AND v.ack_basis_no <= kv.version_no
      JOIN rollup_state rs ON rs.version_id = v.id
      JOIN users u ON u.id = NEW.user_id
      JOIN org_unit uo ON uo.id = u.org_unit_id
     WHERE kv.id = NEW.version_id AND u.active AND (v.whole_city OR EXISTS (
    SELECT 1 FROM circular_audience a JOIN org_unit au ON au.id = a.org_unit_id
     WHERE a.version_id = v.id
       AND (a.org_unit_id = u.org_unit_id OR (a.include_subunits AND (uo.path >= au.path AND uo.path < substr(au.path, 1, length(au.path) - 1) || '0')))))
       AND NOT EXISTS (SELECT 1 FROM acknowledgment ok JOIN circular_version ov ON ov.id = ok.version_id
                        WHERE ok.user_id = NEW.user_id AND ok.id <> NEW.id
                          AND ov.circular_id = v.circular_id AND ov.version_no >= v.ack_basis_no)
    ON CONFLICT (version_id, unit_id, deadline) DO UPDATE SET acknowledged = acknowledged + excluded.acknowledged;
END;

CREATE TRIGGER acknowledgment_device_insert_rollup AFTER INSERT ON acknowledgment_device
WHEN NEW.attestation IN ('none_installed', 'not_used_for_work') AND NOT EXISTS (SELECT 1 FROM rollup_suspended) BEGIN
    INSERT INTO rollup_count (version_id, unit_id, deadline, audience, acknowledged, unclean)
    SELECT v.id, u.org_unit_id, (CASE WHEN substr(u.unit_since, 1, 10) > substr(v.published_at, 1, 10)
      THEN max(v.ack_deadline, date(substr(u.unit_since, 1, 10), '+' || rs.late_days || ' days')) ELSE v.ack_deadline END),
           0, 0, -1
      FROM acknowledgment k
      JOIN circular_version kv ON kv.id = k.version_id
      JOIN circular_version v ON v.circular_id = kv.circular_id AND v.ack_basis_no <= kv.version_no
      JOIN rollup_state rs ON rs.version_id = v.id
      JOIN device d ON d.id = NEW.device_id AND d.retired_at IS NULL
      JOIN users u ON u.id = d.owner_id
      JOIN org_unit uo ON uo.id = u.org_unit_id
     WHERE k.id = NEW.ack_id AND u.active AND (v.whole_city OR EXISTS (
    SELECT 1 FROM circular_audience a JOIN org_unit au ON au.id = a.org_unit_id
     WHERE a.version_id = v.id
       AND (a.org_unit_id = u.org_unit_id OR (a.include_subunits AND (uo.path >= au.path AND uo.path < substr(au.path, 1, length(au.path) - 1) || '0')))))
       AND NOT EXISTS (SELECT 1 FROM acknowledgment_device cd JOIN acknowledgment ck ON ck.id = cd.ack_id
                        JOIN circular_version cv ON cv.id = ck.version_id
                        WHERE cd.device_id = NEW.device_id AND cd.attestation IN ('none_installed', 'not_used_for_work')
                          AND cv.circular_id = v.circular_id AND cv.version_no >= v.ack_basis_no AND cd.ack_id <> NEW.ack_id)
    ON CONFLICT (version_id, unit_id, deadline) DO UPDATE SET unclean = unclean + excluded.unclean;
END;

CREATE TRIGGER device_insert_rollup AFTER INSERT ON device
WHEN NEW.retired_at IS NULL AND NOT EXISTS (SELECT 1 FROM rollup_suspended) BEGIN
    INSERT INTO rollup_count (version_id, unit_id, deadline, audience, acknowledged, unclean)
    SELECT v.id, u.org_unit_id, (CASE WHEN substr(u.unit_since, 1, 10) > substr(v.published_at, 1, 10)
      THEN max(v.ack_deadline, date(substr(u.unit_since, 1, 10), '+' || rs.late_days || ' days')) ELSE v.ack_deadline END),
           0, 0, 1
      FROM device d
      JOIN users u ON u.id = d.owner_id
      JOIN org_unit uo ON uo.id = u.org_unit_id
      JOIN rollup_state rs
      JOIN circular_version v ON v.id = rs.version_id
     WHERE d.id = NEW.id AND u.active AND (v.whole_city OR EXISTS (
    SELECT 1 FROM circular_audience a JOIN org_unit au ON au.id = a.org_unit_id
     WHERE a.version_id = v.id
       AND (a.org_unit_id = u.org_unit_id OR (a.include_subunits AND (uo.path >= au.path AND uo.path < substr(au.path, 1, length(au.path) - 1) || '0')))))
       AND NOT EXISTS (SELECT 1 FROM acknowledgment_device cd JOIN acknowledgment ck ON ck.id = cd.ack_id
                        JOIN circular_version cv ON cv.id = ck.version_id
                        WHERE cd.device_id = NEW.id AND cd.attestation IN ('none_installed', 'not_used_for_work')
                          AND cv.circular_id = v.circular_id AND cv.version_no >= v.ack_basis_no)
    ON CONFLICT (version_id, unit_id, deadline) DO UPDATE SET unclean = unclean + excluded.unclean;
END;

CREATE TRIGGER device_retire_rollup AFTER UPDATE OF retired_at ON device
WHEN (OLD.retired_at IS NULL) <> (NEW.retired_at IS NULL) AND NOT EXISTS (SELECT 1 FROM rollup_suspended) BEGIN
    INSERT INTO rollup_count (version_id, unit_id, deadline, audience, acknowledged, unclean)
    SELECT v.id, u.org_unit_id, (CASE WHEN substr(u.unit_since, 1, 10) > substr(v.published_at, 1, 10)
      THEN max(v.ack_deadline, date(substr(u.unit_since, 1, 10), '+' || rs.late_days || ' days')) ELSE v.ack_deadline END),
           0, 0, CASE WHEN NEW.retired_at IS NULL THEN 1 ELSE -1 END
      FROM device d
      JOIN users u ON u.id = d.owner_id
      JOIN org_unit uo ON uo.id = u.org_unit_id
      JOIN rollup_state rs
      JOIN circular_version v ON v.id = rs.version_id
     WHERE d.id = NEW.id AND u.active AND (v.whole_city OR EXISTS (
    SELECT 1 FROM circular_audience a JOIN org_unit au ON au.id = a.org_unit_id
     WHERE a.version_id = v.id
       AND (a.org_unit_id = u.org_unit_id OR (a.include_subunits AND (uo.path >= au.path AND uo.path < substr(au.path, 1, length(au.path) - 1) || '0')))))
       AND NOT EXISTS (SELECT 1 FROM acknowledgment_device cd JOIN acknowledgment ck ON ck.id = cd.ack_id
                        JOIN circular_version cv ON cv.id = ck.version_id
                        WHERE cd.device_id = NEW.id AND cd.attestation IN ('none_installed', 'not_used_for_work')
                          AND cv.circular_id = v.circular_id AND cv.version_no >= v.ack_basis_no)
    ON CONFLICT (version_id, unit_id, deadline) DO UPDATE SET unclean = unclean + excluded.unclean;
END;

CREATE TRIGGER users_insert_rollup AFTER INSERT ON users
WHEN NOT EXISTS (SELECT 1 FROM rollup_suspended) BEGIN
    INSERT INTO rollup_count (version_id, unit_id, deadline, audience, acknowledged, unclean)
    SELECT v.id, u.org_unit_id, (CASE WHEN substr(u.unit_since, 1, 10) > substr(v.published_at, 1, 10)
      THEN max(v.ack_deadline, date(substr(u.unit_since, 1, 10), '+' || rs.late_days || ' days')) ELSE v.ack_deadline END),
           +1, +(CASE WHEN EXISTS (
    SELECT 1 FROM acknowledgment k JOIN circular_version kv ON kv.id = k.version_id
     WHERE k.user_id = u.id AND kv.circular_id = v.circular_id AND kv.version_no >= v.ack_basis_no) THEN 1 ELSE 0 END), +(SELECT COUNT(*) FROM device d WHERE d.owner_id = u.id AND d.retired_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM acknowledgment_device cd JOIN acknowledgment ck ON ck.id = cd.ack_id
                        JOIN circular_version cv ON cv.id = ck.version_id
                        WHERE cd.device_id = d.id AND cd.attestation IN ('none_installed', 'not_used_for_work')
                          AND cv.circular_id = v.circular_id AND cv.version_no >= v.ack_basis_no))
      FROM (SELECT NEW.id AS id, NEW.org_unit_id AS org_unit_id, NEW.unit_since AS unit_since) u
      JOIN org_unit uo ON uo.id = u.org_unit_id
      JOIN rollup_state rs
      JOIN circular_version v ON v.id = rs.version_id
     WHERE NEW.active AND (v.whole_city OR EXISTS (
    SELECT 1 FROM circular_audience a JOIN org_unit au ON au.id = a.org_unit_id
     WHERE a.version_id = v.id
       AND (a.org_unit_id = u.org_unit_id OR (a.include_subunits AND (uo.path >= au.path AND uo.path < substr(au.path, 1, length(au.path) - 1) || '0')))))
    ON CONFLICT (version_id, unit_id, deadline) DO UPDATE SET audience = audience + excluded.audience, acknowledged = acknowledged + excluded.acknowledged, unclean = unclean + excluded.unclean;
    UPDATE people_epoch SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER users_update_rollup AFTER UPDATE OF org_unit_id, active, unit_since ON users
WHEN (OLD.org_unit_id IS NOT NEW.org_unit_id OR OLD.active IS NOT NEW.active OR OLD.unit_since IS NOT NEW.unit_since)
 AND NOT EXISTS (SELECT 1 FROM rollup_suspended) BEGIN
    INSERT INTO rollup_count (version_id, unit_id, deadline, audience, acknowledged, unclean)
    SELECT v.id, u.org_unit_id, (CASE WHEN substr(u.unit_since, 1, 10) > substr(v.published_at, 1, 10)
      THEN max(v.ack_deadline, date(substr(u.unit_since, 1, 10), '+' || rs.late_days || ' days')) ELSE v.ack_deadline END),
           -1, -(CASE WHEN EXISTS (
    SELECT 1 FROM acknowledgment k JOIN circular_version kv ON kv.id = k.version_id
     WHERE k.user_id = u.id AND kv.circular_id = v.circular_id AND kv.version_no >= v.ack_basis_no) THEN 1 ELSE 0 END), -(SELECT COUNT(*) FROM device d WHERE d.owner_id = u.id AND d.retired_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM acknowledgment_device cd JOIN acknowledgment ck ON ck.id = cd.ack_id
                        JOIN circular_version cv ON cv.id = ck.version_id
                        WHERE cd.device_id = d.id AND cd.attestation IN ('none_installed', 'not_used_for_work')
                          AND cv.circular_id = v.circular_id AND cv.version_no >= v.ack_basis_no))
      FROM (SELECT OLD.id AS id, OLD.org_unit_id AS org_unit_id, OLD.unit_since AS unit_since) u
      JOIN org_unit uo ON uo.id = u.org_unit_id
      JOIN rollup_state rs
      JOIN circular_version v ON v.id = rs.version_id
     WHERE OLD.active AND (v.whole_city OR EXISTS (
    SELECT 1 FROM circular_audience a JOIN org_unit au ON au.id = a.org_unit_id
     WHERE a.version_id = v.id
       AND (a.org_unit_id = u.org_unit_id OR (a.include_subunits AND (uo.path >= au.path AND uo.path < substr(au.path, 1, length(au.path) - 1) || '0')))))
    ON CONFLICT (version_id, unit_id, deadline) DO UPDATE SET audience = audience + excluded.audience, acknowledged = acknowledged + excluded.acknowledged, unclean = unclean + excluded.unclean;
    INSERT INTO rollup_count (version_id, unit_id, deadline, audience, acknowledged, unclean)
    SELECT v.id, u.org_unit_id, (CASE WHEN substr(u.unit_since, 1, 10) > substr(v.published_at, 1, 10)
      THEN max(v.ack_deadline, date(substr(u.unit_since, 1, 10), '+' || rs.late_days || ' days')) ELSE v.ack_deadline END),
           +1, +(CASE WHEN EXISTS (
    SELECT 1 FROM acknowledgment k JOIN circular_version kv ON kv.id = k.version_id
     WHERE k.user_id = u.id AND kv.circular_id = v.circular_id AND kv.version_no >= v.ack_basis_no) THEN 1 ELSE 0 END), +(SELECT COUNT(*) FROM device d WHERE d.owner_id = u.id AND d.retired_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM acknowledgment_device cd JOIN acknowledgment ck ON ck.id = cd.ack_id
                        JOIN circular_version cv ON cv.id = ck.version_id
                        WHERE cd.device_id = d.id AND cd.attestation IN ('none_installed', 'not_used_for_work')
                          AND cv.circular_id = v.circular_id AND cv.version_no >= v.ack_basis_no))
      FROM (SELECT NEW.id AS id, NEW.org_unit_id AS org_unit_id, NEW.unit_since AS unit_since) u
      JOIN org_unit uo ON uo.id = u.org_unit_id
      JOIN rollup_state rs
      JOIN circular_version v ON v.id = rs.version_id
     WHERE NEW.active AND (v.whole_city OR EXISTS (
    SELECT 1 FROM circular_audience a JOIN org_unit au ON au.id = a.org_unit_id
     WHERE a.version_id = v.id
       AND (a.org_unit_id = u.org_unit_id OR (a.include_subunits AND (uo.path >= au.path AND uo.path < substr(au.path, 1, length(au.path) - 1) || '0')))))
    ON CONFLICT (version_id, unit_id, deadline) DO UPDATE SET audience = audience + excluded.audience, acknowledged = acknowledged + excluded.acknowledged, unclean = unclean + excluded.unclean;
    UPDATE people_epoch SET n = n + 1 WHERE id = 1;
END;
