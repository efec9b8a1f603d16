-- When the reminder schedule last went through a version's open people: the day (Europe/
-- Berlin) and the tracking epoch then (`tracking_epoch.n`, moved by every change to who is
-- addressed or has acknowledged). Reminders and escalations are due by the day, so the
-- hourly job skips a version it went through the same day with nothing changed since
-- (issue #14: background work proportional to what changed, not the whole city every hour).
CREATE TABLE reminder_run (
    version_id INTEGER PRIMARY KEY REFERENCES circular_version(id) ON DELETE CASCADE,
    day        TEXT    NOT NULL,
    epoch      INTEGER NOT NULL
);
