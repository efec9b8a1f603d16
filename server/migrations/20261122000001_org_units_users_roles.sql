-- The organisation tree, people and their roles.
-- Portable SQL: runs on SQLite and PostgreSQL (ids become identity columns there).

CREATE TABLE org_unit (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER REFERENCES org_unit(id),     -- NULL only for the root (the city)
    kind        TEXT    NOT NULL CHECK (kind IN ('city', 'dezernat', 'fachbereich', 'amt', 'betrieb')),
    code        TEXT    NOT NULL UNIQUE,             -- short official code, e.g. "FB11"; the import key
    name        TEXT    NOT NULL,
    -- Materialised path of ids from the root, e.g. '/1/4/17/'. A subtree is the index range
    -- [path, path with its last '/' replaced by '0'), so subtree queries never recurse.
    path        TEXT    NOT NULL UNIQUE,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
CREATE INDEX org_unit_parent_idx ON org_unit (parent_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,           -- stored lower-cased; the sign-in name
    display_name  TEXT    NOT NULL,
    personnel_no  TEXT    UNIQUE,                    -- HR personnel number; optional for externals
    org_unit_id   INTEGER NOT NULL REFERENCES org_unit(id),
    locale        TEXT    NOT NULL DEFAULT 'de' CHECK (locale IN ('de', 'en')),
    password_hash TEXT,                              -- argon2id PHC string; NULL = cannot sign in
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    -- When the user joined their current unit: later issues give late joiners their own deadline.
    unit_since    TEXT    NOT NULL,
    last_login_at TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX users_org_unit_idx ON users (org_unit_id);
CREATE INDEX users_display_name_idx ON users (display_name);

CREATE TABLE user_role (
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role          TEXT    NOT NULL CHECK (role IN ('employee', 'head', 'publisher', 'admin', 'auditor')),
    -- The unit whose subtree a head/publisher role covers; NULL for city-wide roles.
    scope_unit_id INTEGER REFERENCES org_unit(id),
    granted_at    TEXT    NOT NULL,
    granted_by    INTEGER REFERENCES users(id),
    CHECK ((role IN ('head', 'publisher')) = (scope_unit_id IS NOT NULL))
);
CREATE UNIQUE INDEX user_role_unique_idx ON user_role (user_id, role, COALESCE(scope_unit_id, 0));
CREATE INDEX user_role_scope_idx ON user_role (scope_unit_id);

-- Who did what, for every administrative action. Append-only; a later migration chains it.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,
    actor_id  INTEGER REFERENCES users(id),          -- NULL for the CLI / system jobs
    action    TEXT    NOT NULL,                      -- e.g. 'unit.create', 'user.role_add'
    target    TEXT    NOT NULL,                      -- e.g. 'unit:17', 'user:42'
    details   TEXT    NOT NULL DEFAULT '{}'          -- JSON, never secrets
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
