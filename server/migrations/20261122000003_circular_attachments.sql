-- PDF attachments of circular versions. Stored in the database so that evidence, backups and
-- several server nodes need nothing but the database; frozen with the version on publish.
CREATE TABLE circular_attachment (
    id          INTEGER PRIMARY KEY,
    version_id  INTEGER NOT NULL REFERENCES circular_version(id) ON DELETE CASCADE,
    filename    TEXT    NOT NULL,                 -- sanitised base name, ends in .pdf
    size_bytes  INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,                 -- hex; part of the version's content hash
    data        BLOB    NOT NULL,
    uploaded_by INTEGER NOT NULL REFERENCES users(id),
    uploaded_at TEXT    NOT NULL
);
CREATE INDEX circular_attachment_version_idx ON circular_attachment (version_id);
