-- The day (Europe/Berlin) on which the reminder schedule last went through a version's open
-- people. Reminders and escalations are due by the day, so the hourly job passes over each
-- published version once a day and skips it on the other ticks (issue #14: background work
-- proportional to what changed, not the whole city every hour).
CREATE TABLE reminder_run (
    version_id INTEGER PRIMARY KEY REFERENCES circular_version(id) ON DELETE CASCADE,
    day        TEXT    NOT NULL
);
