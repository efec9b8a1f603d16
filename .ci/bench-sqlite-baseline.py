#!/usr/bin/env python3
"""Baseline for the acknowledgment benchmark (issue #12): the same rows the portal writes for
one acknowledgment, inserted by plain SQLite without the portal.

Usage: bench-sqlite-baseline.py DB N

DB is the seeded city; the script works on a copy of it (made first, not timed), opened as
the portal opens it (WAL, synchronous=NORMAL, foreign keys); the schema's triggers fire as
they do for the portal. The script takes N
distinct (employee, whole-city circular) pairs nobody has acknowledged, with each employee's
active devices, and inserts for each, in one transaction, the acknowledgment row (with a
fresh salt and commitment, as the portal computes them) and one row per device. It prints
the rate as `baseline_acks_per_s=<n>`.
"""
import hashlib
import os
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timezone

db_path, n = sys.argv[1], int(sys.argv[2])
copy = tempfile.NamedTemporaryFile(suffix=".db", dir=os.path.dirname(os.path.abspath(db_path)))
with sqlite3.connect(db_path) as src, sqlite3.connect(copy.name) as dst:
    src.backup(dst)
con = sqlite3.connect(copy.name, isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=NORMAL")
con.execute("PRAGMA foreign_keys=ON")
rows = []
for user, version, sha in con.execute(
    "SELECT u.id, v.id, v.content_sha256 FROM circular_version v, users u"
    " WHERE v.status = 'published' AND v.whole_city AND u.active"
    "   AND NOT EXISTS (SELECT 1 FROM acknowledgment k WHERE k.version_id = v.id)"
    " ORDER BY v.id, u.id LIMIT ?",
    (n,),
).fetchall():
    devices = [d for (d,) in con.execute(
        "SELECT id FROM device WHERE owner_id = ? AND retired_at IS NULL", (user,))]
    rows.append((user, version, sha, devices))
started = time.perf_counter()
for user, version, sha, devices in rows:
    salt = os.urandom(16).hex()
    commitment = hashlib.sha256(f"{salt}:{user}".encode()).hexdigest()
    now = datetime.now(timezone.utc).isoformat()
    con.execute("BEGIN IMMEDIATE")
    ack = con.execute(
        "INSERT INTO acknowledgment (user_id, version_id, acknowledged_at, content_sha256, locale,"
        " auth_method, on_behalf_by, remark, person_salt, person_commitment)"
        " VALUES (?, ?, ?, ?, 'de', 'password', NULL, NULL, ?, ?) RETURNING id",
        (user, version, now, sha, salt, commitment),
    ).fetchone()[0]
    for d in devices:
        con.execute(
            "INSERT INTO acknowledgment_device (ack_id, device_id, attestation) VALUES (?, ?, 'none_installed')",
            (ack, d),
        )
    con.execute("COMMIT")
elapsed = time.perf_counter() - started
con.close()
print(f"baseline_acks_per_s={len(rows) / elapsed:.0f}")
