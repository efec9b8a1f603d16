-- Change log for the in-memory access-decision snapshot of each server process.
--
-- The mail gateway asks for a decision before every sync, tens of thousands of times per
-- second, so every node answers from memory. Every change that can alter a decision (a
-- device's standings, its MDM id, its retirement) appends the device here through the
-- triggers below, in the same transaction as the change. Each node polls the log a few
-- times per second and reloads just those devices; the compliance job prunes old entries
-- (a node that fell behind the pruned part reloads everything).
CREATE TABLE access_change (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id INTEGER NOT NULL,
    at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TRIGGER device_compliance_insert_access AFTER INSERT ON device_compliance
BEGIN INSERT INTO access_change (device_id) VALUES (NEW.device_id); END;
CREATE TRIGGER device_compliance_update_access AFTER UPDATE ON device_compliance
BEGIN INSERT INTO access_change (device_id) VALUES (NEW.device_id); END;
CREATE TRIGGER device_compliance_delete_access AFTER DELETE ON device_compliance
BEGIN INSERT INTO access_change (device_id) VALUES (OLD.device_id); END;
CREATE TRIGGER device_insert_access AFTER INSERT ON device
BEGIN INSERT INTO access_change (device_id) VALUES (NEW.id); END;
CREATE TRIGGER device_update_access AFTER UPDATE OF mdm_id, retired_at ON device
BEGIN INSERT INTO access_change (device_id) VALUES (NEW.id); END;
CREATE TRIGGER device_delete_access AFTER DELETE ON device
BEGIN INSERT INTO access_change (device_id) VALUES (OLD.id); END;
