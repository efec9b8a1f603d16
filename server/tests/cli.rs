//! The admin CLI, run as the real binary against a fresh database file.
use std::process::Command;

fn server(db: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("RUST_LOG", "error");
    cmd
}

#[test]
fn a_real_deployment_starts_with_import_and_create_user() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let units = dir.path().join("units.csv");
    std::fs::write(&units, "code,name,kind,parent_code\nSTADT,Stadt Beispielstadt,city,\nFB11,Personal und Organisation,fachbereich,D1\nD1,Dezernat I,dezernat,STADT\n").unwrap();
    let out = server(&db)
        .args(["import-org", units.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 created"));

    // A bad file is refused with line numbers and exit code 2.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "email,display_name,personnel_no,unit_code,locale,roles\nx@beispielstadt.de,X,,NOPE,de,\nkaputt,Y,,FB11,de,\n").unwrap();
    let out = server(&db)
        .args(["import-org", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3: email"), "{err}");
    // Once the rows parse, the database checks name the unknown unit.
    std::fs::write(
        &bad,
        "email,display_name,personnel_no,unit_code,locale,roles\nx@beispielstadt.de,X,,NOPE,de,\n",
    )
    .unwrap();
    let out = server(&db)
        .args(["import-org", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: unit_code"));

    let out = server(&db)
        .args([
            "create-user",
            "--email",
            "it@beispielstadt.de",
            "--name",
            "IT Admin",
            "--unit",
            "FB11",
            "--role",
            "admin",
            "--password-env",
            "PW",
        ])
        .env("PW", "sehr-geheim-2026")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Same email again is refused with the reason.
    let out = server(&db)
        .args([
            "create-user",
            "--email",
            "it@beispielstadt.de",
            "--name",
            "Again",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already taken"));
    // Without --password-env a password is generated and shown once.
    let out = server(&db)
        .args([
            "create-user",
            "--email",
            "aud@beispielstadt.de",
            "--name",
            "Auditor",
            "--role",
            "auditor",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Initial password (shown once): "));
    // seed-demo refuses a database that is in use.
    let out = server(&db).arg("seed-demo").output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn help_lists_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in ["serve", "migrate", "create-user", "import-org", "seed-demo"] {
        assert!(help.contains(cmd), "{cmd} missing in --help");
    }
}

#[test]
fn verify_evidence_reports_ok_and_names_the_first_broken_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ev.db");
    assert!(server(&db)
        .arg("seed-demo")
        .output()
        .unwrap()
        .status
        .success());
    let out = server(&db)
        .args(["verify-evidence", "--seal"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("OK: the evidence chain is intact.") && stdout.contains("Head hash: "));
    // Tamper with the file directly, as an attacker with database access would.
    let out = Command::new("sqlite3")
        .arg(&db)
        .arg("UPDATE acknowledgment SET locale = 'en' WHERE id = 3;")
        .output();
    if out.is_err() {
        // sqlite3 CLI not installed: tamper through sqlx instead.
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let pool = app::db::connect(&format!("sqlite://{}", db.display()), 1)
                .await
                .unwrap();
            sqlx::query("UPDATE acknowledgment SET locale = 'en' WHERE id = 3")
                .execute(&pool)
                .await
                .unwrap();
        });
    }
    let out = server(&db).arg("verify-evidence").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ack 3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn api_tokens_are_issued_once_listed_without_secrets_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    assert!(server(&db)
        .arg("migrate")
        .output()
        .unwrap()
        .status
        .success());
    // Bad input: an unknown scope, an empty name.
    let out = server(&db)
        .args(["token", "create", "--name", "MDM", "--scope", "root"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unknown scope"));
    let out = server(&db)
        .args(["token", "create", "--name", " ", "--scope", "access:read"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--name"));

    let out = server(&db)
        .args([
            "token",
            "create",
            "--name",
            "Mail-Gateway",
            "--scope",
            "access:read,inventory:write",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let secret = stdout.lines().last().unwrap().trim().to_owned();
    assert!(secret.starts_with("rsp_") && secret.len() == 52, "{stdout}");
    assert!(stdout.contains("access:read inventory:write"));
    let list = server(&db).args(["token", "list"]).output().unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(listed.contains("Mail-Gateway") && listed.contains("never"));
    assert!(!listed.contains(&secret), "the list never shows secrets");
    let out = server(&db).args(["token", "revoke", "1"]).output().unwrap();
    assert!(out.status.success());
    let out = server(&db).args(["token", "revoke", "1"]).output().unwrap();
    assert!(!out.status.success(), "revoking twice is an error");
}

/// `create-user` of the same head in an empty database, with the role given.
fn create_head(db: &std::path::Path, role: &str) -> std::process::Output {
    server(db)
        .args([
            "create-user",
            "--email",
            "leitung@beispielstadt.de",
            "--name",
            "Leitung",
            "--city",
            "Stadt Beispielstadt",
            "--role",
            role,
        ])
        .output()
        .unwrap()
}

#[test]
fn create_user_writes_all_or_nothing_and_the_second_factor_reset_names_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli2.db");
    // An unknown scope: refused with the reason, and nothing is left behind ...
    let out = create_head(&db, "head@NOPE");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("role: This org unit does not exist"), "{err}");
    // ... so the same address can be created right after (with the root unit it needs).
    let out = create_head(&db, "head@STADT");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nobody here has a second factor: the reset says so and fails.
    let out = server(&db)
        .args(["reset-second-factor", "--email", "leitung@beispielstadt.de"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no second factor"));
    let out = server(&db)
        .args(["reset-second-factor", "--email", "niemand@beispielstadt.de"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user with e-mail"));
}
