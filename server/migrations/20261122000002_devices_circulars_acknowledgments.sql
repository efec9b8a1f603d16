-- Devices, circulars with versions, audiences and prohibited apps, and acknowledgments.

-- A device an employee uses for work (or declares as not used for work).
CREATE TABLE device (
    id                INTEGER PRIMARY KEY,
    owner_id          INTEGER NOT NULL REFERENCES users(id),
    kind              TEXT    NOT NULL CHECK (kind IN ('phone', 'tablet', 'laptop', 'desktop')),
    ownership         TEXT    NOT NULL CHECK (ownership IN ('service', 'private')),
    platform          TEXT    NOT NULL CHECK (platform IN ('android', 'ios', 'windows', 'macos', 'linux', 'other')),
    label             TEXT    NOT NULL,                -- the owner's name for it, e.g. "Diensthandy"
    asset_tag         TEXT    UNIQUE,                  -- inventory number of service devices
    serial            TEXT,
    imei              TEXT    UNIQUE,                  -- 15 digits, Luhn-checked
    mdm_id            TEXT    UNIQUE,                  -- the MDM's id; inventory reports use it
    registered_at     TEXT    NOT NULL,
    retired_at        TEXT,                            -- retired devices stay for the evidence
    last_inventory_at TEXT
);
CREATE INDEX device_owner_idx ON device (owner_id);

-- A circular: the stable number; its content lives in versions.
CREATE TABLE circular (
    id          INTEGER PRIMARY KEY,
    number      TEXT    NOT NULL UNIQUE,               -- e.g. "RS 2026/17"
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_at  TEXT    NOT NULL
);

CREATE TABLE circular_version (
    id             INTEGER PRIMARY KEY,
    circular_id    INTEGER NOT NULL REFERENCES circular(id),
    version_no     INTEGER NOT NULL,
    title          TEXT    NOT NULL,
    summary        TEXT    NOT NULL,
    body_md        TEXT    NOT NULL,
    -- 'initial' and 'material' versions need a new acknowledgment; 'editorial' ones do not.
    change_kind    TEXT    NOT NULL CHECK (change_kind IN ('initial', 'material', 'editorial')),
    -- Lowest version_no whose acknowledgment still counts for this version (set on publish).
    ack_basis_no   INTEGER,
    effective_on   TEXT    NOT NULL,                   -- calendar date (Europe/Berlin)
    ack_deadline   TEXT    NOT NULL,                   -- calendar date (Europe/Berlin), end of day
    whole_city     BOOLEAN NOT NULL DEFAULT FALSE,
    status         TEXT    NOT NULL CHECK (status IN ('draft', 'in_review', 'published', 'superseded', 'withdrawn')),
    body_html      TEXT,                               -- frozen sanitised rendering (on publish)
    content_sha256 TEXT,                               -- hash of the frozen content (on publish)
    author_id      INTEGER NOT NULL REFERENCES users(id),
    submitted_at   TEXT,
    approver_id    INTEGER REFERENCES users(id),       -- never the author (four eyes)
    published_at   TEXT,
    withdrawn_at   TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    UNIQUE (circular_id, version_no)
);
CREATE INDEX circular_version_status_idx ON circular_version (status);

CREATE TABLE circular_audience (
    version_id       INTEGER NOT NULL REFERENCES circular_version(id) ON DELETE CASCADE,
    org_unit_id      INTEGER NOT NULL REFERENCES org_unit(id),
    include_subunits BOOLEAN NOT NULL,
    PRIMARY KEY (version_id, org_unit_id)
);

CREATE TABLE prohibited_app (
    id             INTEGER PRIMARY KEY,
    version_id     INTEGER NOT NULL REFERENCES circular_version(id) ON DELETE CASCADE,
    platform       TEXT    NOT NULL CHECK (platform IN ('android', 'ios', 'windows', 'macos')),
    app_identifier TEXT    NOT NULL,                   -- Android package, iOS bundle id, Windows app id
    display_name   TEXT    NOT NULL,
    UNIQUE (version_id, platform, app_identifier)
);

-- One acknowledgment per person and version; retries and double clicks hit the UNIQUE key.
CREATE TABLE acknowledgment (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    version_id      INTEGER NOT NULL REFERENCES circular_version(id),
    acknowledged_at TEXT    NOT NULL,
    content_sha256  TEXT    NOT NULL,                  -- hash of exactly the text that was shown
    locale          TEXT    NOT NULL,                  -- language of the page it was given on
    auth_method     TEXT    NOT NULL,                  -- e.g. 'password'
    on_behalf_by    INTEGER REFERENCES users(id),      -- head who recorded a paper acknowledgment
    remark          TEXT,
    UNIQUE (user_id, version_id)
);
CREATE INDEX acknowledgment_version_idx ON acknowledgment (version_id);

CREATE TABLE acknowledgment_device (
    ack_id      INTEGER NOT NULL REFERENCES acknowledgment(id),
    device_id   INTEGER NOT NULL REFERENCES device(id),
    attestation TEXT    NOT NULL CHECK (attestation IN ('none_installed', 'will_remove', 'not_used_for_work')),
    PRIMARY KEY (ack_id, device_id)
);
