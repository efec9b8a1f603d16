-- Outgoing mail. A mail is enqueued in the same transaction as whatever caused it; a worker
-- on any node claims due rows, sends them through the relay and retries with back-off.
-- dedupe_key makes each logical mail (e.g. "reminder:7:42:pre7") exist at most once.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    dedupe_key      TEXT    NOT NULL UNIQUE,
    to_addr         TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    next_attempt_at TEXT    NOT NULL,   -- also the claim: a worker moves it forward before sending
    attempts        INTEGER NOT NULL DEFAULT 0,
    sent_at         TEXT,
    failed_at       TEXT,               -- given up (permanent refusal or too many attempts)
    last_error      TEXT                -- the relay's answer, for admins
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (sent_at, failed_at, next_attempt_at);
