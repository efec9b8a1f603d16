-- Pre-aggregated roll-up counts for the heads' dashboard.
--
-- `rollup_count` holds, per published version, the audience of each org unit grouped by the
-- person's own deadline (late joiners have later ones), with how many have a valid
-- acknowledgment and how many of their active devices lack a clean statement. A roll-up for
-- any unit then sums a few hundred rows over the unit's subtree instead of visiting every
-- person; overdue = audience - acknowledged of the groups whose deadline has passed.
--
-- Freshness: every change that can alter these counts bumps `tracking_epoch` through the
-- triggers below (in the same transaction as the change, so no code path can forget it).
-- A version's counts remember the epoch they were computed at; a roll-up that finds them
-- older recomputes that version first. Reads are therefore always exact.
CREATE TABLE tracking_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO tracking_epoch (id, n) VALUES (1, 1);

CREATE TABLE rollup_count (
    version_id   INTEGER NOT NULL REFERENCES circular_version(id) ON DELETE CASCADE,
    unit_id      INTEGER NOT NULL REFERENCES org_unit(id),
    deadline     TEXT    NOT NULL,
    audience     INTEGER NOT NULL,
    acknowledged INTEGER NOT NULL,
    unclean      INTEGER NOT NULL,
    PRIMARY KEY (version_id, unit_id, deadline)
);

CREATE TABLE rollup_state (
    version_id INTEGER PRIMARY KEY REFERENCES circular_version(id) ON DELETE CASCADE,
    epoch      INTEGER NOT NULL,
    late_days  INTEGER NOT NULL
);

CREATE TRIGGER acknowledgment_insert_epoch AFTER INSERT ON acknowledgment BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER acknowledgment_delete_epoch AFTER DELETE ON acknowledgment BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER acknowledgment_update_epoch AFTER UPDATE OF user_id, version_id ON acknowledgment BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER acknowledgment_device_insert_epoch AFTER INSERT ON acknowledgment_device BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER acknowledgment_device_delete_epoch AFTER DELETE ON acknowledgment_device BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER acknowledgment_device_update_epoch AFTER UPDATE ON acknowledgment_device BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER users_insert_epoch AFTER INSERT ON users BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER users_delete_epoch AFTER DELETE ON users BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER users_update_epoch AFTER UPDATE OF org_unit_id, active, unit_since ON users BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER device_insert_epoch AFTER INSERT ON device BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER device_delete_epoch AFTER DELETE ON device BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER device_update_epoch AFTER UPDATE OF owner_id, retired_at ON device BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER circular_version_insert_epoch AFTER INSERT ON circular_version BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER circular_version_delete_epoch AFTER DELETE ON circular_version BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER circular_version_update_epoch AFTER UPDATE OF status, ack_basis_no, ack_deadline, published_at, whole_city ON circular_version BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER circular_audience_insert_epoch AFTER INSERT ON circular_audience BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER circular_audience_delete_epoch AFTER DELETE ON circular_audience BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER circular_audience_update_epoch AFTER UPDATE ON circular_audience BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER org_unit_update_epoch AFTER UPDATE OF path, parent_id ON org_unit BEGIN UPDATE tracking_epoch SET n = n + 1 WHERE id = 1; END;
