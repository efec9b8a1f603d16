//! The demo city "Stadt Musterstadt": an org tree, ~300 employees with plausible names and
//! one account for every role with a known password. Used by the README's run command, the
//! end-to-end tests and the integration tests (each starts on a fresh demo city).
use anyhow::Context;
use app::auth::password::hash_blocking;
use app::auth::Role;
use app::db::{begin_read, begin_write, Db};
use app::i18n::Locale;
use app::org::rules::ValidUnit;
use app::org::{repo, rules::ValidUser, service, OrgUnitId, UnitKind, UserId};
use chrono::Utc;
use std::collections::{HashMap, HashSet};

pub const DOMAIN: &str = "musterstadt.de";
/// Password of every generated employee (printed by the run command).
pub const EMPLOYEE_PASSWORD: &str = "Mitarbeiter#2026";

/// (code, name, kind, parent code)
const UNITS: &[(&str, &str, UnitKind, &str)] = &[
    ("STADT", "Stadt Musterstadt", UnitKind::City, ""),
    (
        "D1",
        "Dezernat I – Verwaltungsführung, Personal und Finanzen",
        UnitKind::Dezernat,
        "STADT",
    ),
    (
        "D2",
        "Dezernat II – Bürgerdienste, Ordnung und Soziales",
        UnitKind::Dezernat,
        "STADT",
    ),
    (
        "D3",
        "Dezernat III – Bauen, Umwelt und Mobilität",
        UnitKind::Dezernat,
        "STADT",
    ),
    (
        "FB11",
        "Fachbereich Personal und Organisation",
        UnitKind::Fachbereich,
        "D1",
    ),
    ("FB20", "Fachbereich Finanzen", UnitKind::Fachbereich, "D1"),
    ("RPA", "Rechnungsprüfungsamt", UnitKind::Amt, "D1"),
    ("A11.1", "Amt für Personalservice", UnitKind::Amt, "FB11"),
    (
        "A11.2",
        "Amt für Organisation und IT",
        UnitKind::Amt,
        "FB11",
    ),
    ("A11.3", "Aus- und Fortbildung", UnitKind::Amt, "FB11"),
    ("A20.1", "Kämmerei", UnitKind::Amt, "FB20"),
    ("A20.2", "Stadtkasse", UnitKind::Amt, "FB20"),
    ("A20.3", "Steueramt", UnitKind::Amt, "FB20"),
    (
        "FB32",
        "Fachbereich Bürgerdienste und Ordnung",
        UnitKind::Fachbereich,
        "D2",
    ),
    (
        "FB50",
        "Fachbereich Soziales und Wohnen",
        UnitKind::Fachbereich,
        "D2",
    ),
    (
        "FB51",
        "Fachbereich Jugend und Familie",
        UnitKind::Fachbereich,
        "D2",
    ),
    ("A32.1", "Bürgeramt", UnitKind::Amt, "FB32"),
    ("A32.2", "Ordnungsamt", UnitKind::Amt, "FB32"),
    ("A32.3", "Standesamt", UnitKind::Amt, "FB32"),
    ("A50.1", "Sozialamt", UnitKind::Amt, "FB50"),
    ("A50.2", "Amt für Wohnen", UnitKind::Amt, "FB50"),
    ("A51.1", "Jugendamt", UnitKind::Amt, "FB51"),
    ("A51.2", "Kindertagesstätten", UnitKind::Betrieb, "FB51"),
    (
        "FB61",
        "Fachbereich Stadtplanung",
        UnitKind::Fachbereich,
        "D3",
    ),
    (
        "FB66",
        "Fachbereich Tiefbau und Mobilität",
        UnitKind::Fachbereich,
        "D3",
    ),
    (
        "FB70",
        "Fachbereich Umwelt und Stadtgrün",
        UnitKind::Fachbereich,
        "D3",
    ),
    ("A61.1", "Stadtplanungsamt", UnitKind::Amt, "FB61"),
    ("A61.2", "Vermessungsamt", UnitKind::Amt, "FB61"),
    ("A66.1", "Tiefbauamt", UnitKind::Amt, "FB66"),
    ("A66.2", "Straßenverkehrsamt", UnitKind::Amt, "FB66"),
    (
        "B66.3",
        "Eigenbetrieb Stadtentwässerung",
        UnitKind::Betrieb,
        "FB66",
    ),
    ("A70.1", "Umweltamt", UnitKind::Amt, "FB70"),
    ("B70.2", "Stadtreinigung", UnitKind::Betrieb, "FB70"),
    ("B70.3", "Friedhofsbetrieb", UnitKind::Betrieb, "FB70"),
];

/// The demo admin's TOTP secret (admins must use a second factor): add it to any
/// authenticator app, or use one of the recovery codes below. Demo only, printed on start.
pub const ADMIN_TOTP_SECRET: &str = "MUSTERSTADTDEMOADMINZWEITERFAKTR";
pub const ADMIN_RECOVERY_CODES: &[&str] = &[
    "mustr-stdt2",
    "mustr-stdt3",
    "mustr-stdt4",
    "mustr-stdt5",
    "mustr-stdt6",
    "mustr-stdt7",
    "mustr-stdt8",
    "mustr-stdt9",
    "mustr-stdta",
    "mustr-stdtb",
];

pub struct DemoAccount {
    pub email: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub password: &'static str,
    pub roles: &'static [(Role, Option<&'static str>)],
    pub what: &'static str,
}

pub const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        email: "admin@musterstadt.de",
        name: "Sabine Kröger",
        unit: "A11.2",
        password: "Admin#2026",
        roles: &[(Role::Employee, None), (Role::Admin, None)],
        what: "Administration",
    },
    DemoAccount {
        email: "personal@musterstadt.de",
        name: "Thomas Berger",
        unit: "FB11",
        password: "Personal#2026",
        roles: &[(Role::Employee, None), (Role::Publisher, Some("STADT"))],
        what: "Publisher (HR), city-wide",
    },
    DemoAccount {
        email: "organisation@musterstadt.de",
        name: "Claudia Neumann",
        unit: "FB11",
        password: "Personal#2026",
        roles: &[(Role::Employee, None), (Role::Publisher, Some("STADT"))],
        what: "Second publisher (four eyes)",
    },
    DemoAccount {
        email: "revision@musterstadt.de",
        name: "Rainer Vogt",
        unit: "RPA",
        password: "Revision#2026",
        roles: &[(Role::Employee, None), (Role::Auditor, None)],
        what: "Auditor",
    },
    DemoAccount {
        email: "dezernentin2@musterstadt.de",
        name: "Dr. Martina Lehmann",
        unit: "D2",
        password: "Leitung#2026",
        roles: &[(Role::Employee, None), (Role::Head, Some("D2"))],
        what: "Head of Dezernat II",
    },
    DemoAccount {
        email: "fb32@musterstadt.de",
        name: "Jürgen Schulz",
        unit: "FB32",
        password: "Leitung#2026",
        roles: &[(Role::Employee, None), (Role::Head, Some("FB32"))],
        what: "Head of Fachbereich 32",
    },
    DemoAccount {
        email: "buergeramt@musterstadt.de",
        name: "Petra Hoffmann",
        unit: "A32.1",
        password: "Leitung#2026",
        roles: &[(Role::Employee, None), (Role::Head, Some("A32.1"))],
        what: "Head of Bürgeramt",
    },
    DemoAccount {
        email: "max.mustermann@musterstadt.de",
        name: "Max Mustermann",
        unit: "A32.1",
        password: EMPLOYEE_PASSWORD,
        roles: &[(Role::Employee, None)],
        what: "Employee",
    },
];

const FIRST: &[&str] = &[
    "Anna",
    "Lena",
    "Julia",
    "Sarah",
    "Laura",
    "Katrin",
    "Sandra",
    "Nicole",
    "Stefanie",
    "Andrea",
    "Monika",
    "Birgit",
    "Sabine",
    "Ute",
    "Heike",
    "Jana",
    "Miriam",
    "Sophie",
    "Marie",
    "Hannah",
    "Elif",
    "Aylin",
    "Natalia",
    "Ewa",
    "Michael",
    "Andreas",
    "Stefan",
    "Thomas",
    "Markus",
    "Christian",
    "Frank",
    "Jörg",
    "Uwe",
    "Ralf",
    "Matthias",
    "Daniel",
    "Tobias",
    "Jan",
    "Lukas",
    "Felix",
    "Jonas",
    "Florian",
    "Sebastian",
    "Martin",
    "Klaus",
    "Dieter",
    "Mehmet",
    "Piotr",
];
const LAST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Yılmaz",
    "Kowalski",
    "Nowak",
    "Öztürk",
];

/// Number of generated employees besides the named demo accounts.
pub const GENERATED_EMPLOYEES: usize = 300;

fn ascii_local_part(s: &str) -> String {
    s.to_lowercase()
        .replace('ä', "ae")
        .replace('ö', "oe")
        .replace('ü', "ue")
        .replace('ß', "ss")
        .replace('ı', "i")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect()
}

/// True when the demo city (or anything else) is already there.
pub async fn is_seeded(db: &Db) -> anyhow::Result<bool> {
    Ok(repo::count_users(db).await? > 0)
}

/// Seeds the demo city into an empty database. Refuses a database that has users already.
/// Seeds the demo city; `base_url` is where the portal is reached (links in mails).
pub async fn seed(db: &Db, base_url: &str) -> anyhow::Result<()> {
    if is_seeded(db).await? {
        anyhow::bail!("the database already has users; seed-demo only fills an empty database");
    }
    // One hash per distinct password, computed off the executor before the transaction.
    let mut hashes: HashMap<&str, String> = HashMap::new();
    for pw in ACCOUNTS
        .iter()
        .map(|a| a.password)
        .chain([EMPLOYEE_PASSWORD])
    {
        if !hashes.contains_key(pw) {
            let owned = pw.to_owned();
            hashes.insert(
                pw,
                tokio::task::spawn_blocking(move || hash_blocking(&owned)).await?,
            );
        }
    }
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    let mut ids: HashMap<&str, OrgUnitId> = HashMap::new();
    for (code, name, kind, parent) in UNITS {
        let unit = ValidUnit {
            id: None,
            code: (*code).into(),
            name: (*name).into(),
            kind: *kind,
            parent_id: if parent.is_empty() {
                None
            } else {
                Some(ids[parent])
            },
        };
        let id = service::save_unit_in(&mut tx, None, &unit, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo unit {code} invalid: {e:?}"))?;
        ids.insert(code, id);
    }
    let mut emails: HashSet<String> = HashSet::new();
    let mut personnel = 10_000;
    let mut add = |emails: &mut HashSet<String>, email: String, name: String, unit: OrgUnitId| {
        personnel += 1;
        emails.insert(email.clone());
        ValidUser {
            id: None,
            email,
            display_name: name,
            personnel_no: Some(format!("P{personnel}")),
            org_unit_id: unit,
            locale: Locale::De,
            password: None,
        }
    };
    let mut named: Vec<(ValidUser, &DemoAccount)> = vec![];
    for account in ACCOUNTS {
        named.push((
            add(
                &mut emails,
                account.email.into(),
                account.name.into(),
                ids[account.unit],
            ),
            account,
        ));
    }
    for (user, account) in named {
        let id = insert(&mut tx, &user, &hashes[account.password], now).await?;
        for (role, scope) in account.roles {
            repo::add_role(&mut tx, id, *role, scope.map(|s| ids[s]), None, now).await?;
        }
        if account.roles.iter().any(|(r, _)| *r == Role::Admin) {
            let hashes: Vec<String> = ADMIN_RECOVERY_CODES
                .iter()
                .map(|c| app::auth::second_factor::recovery_hash(c))
                .collect();
            app::auth::repo::set_second_factor(&mut tx, id, ADMIN_TOTP_SECRET, 0, &hashes, now)
                .await?;
        }
    }
    // Employees spread over the Ämter and Betriebe, deterministic so every demo looks alike.
    let leaves: Vec<OrgUnitId> = UNITS
        .iter()
        .filter(|(_, _, kind, _)| matches!(kind, UnitKind::Amt | UnitKind::Betrieb))
        .map(|(code, ..)| ids[code])
        .collect();
    let mut seed: u64 = 0x5eed_2026;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for i in 0..GENERATED_EMPLOYEES {
        let first = FIRST[next() % FIRST.len()];
        let last = LAST[next() % LAST.len()];
        let base = format!("{}.{}", ascii_local_part(first), ascii_local_part(last));
        let mut email = format!("{base}@{DOMAIN}");
        let mut n = 2;
        while emails.contains(&email) {
            email = format!("{base}{n}@{DOMAIN}");
            n += 1;
        }
        let user = add(
            &mut emails,
            email,
            format!("{first} {last}"),
            leaves[i % leaves.len()],
        );
        let id = insert(&mut tx, &user, &hashes[EMPLOYEE_PASSWORD], now).await?;
        repo::add_role(&mut tx, id, Role::Employee, None, None, now).await?;
    }
    repo::audit(
        &mut tx,
        None,
        "demo.seed",
        "org",
        serde_json::json!({"employees": GENERATED_EMPLOYEES + ACCOUNTS.len()}),
        now,
    )
    .await?;
    tx.commit()
        .await
        .context("committing the demo city failed")?;
    seed_devices(db).await?;
    seed_messenger_ban(db).await?;
    seed_inventory(db, base_url).await?;
    Ok(())
}

/// The MDM's first reports for the demo phones (the same inventories `server simulate-mdm`
/// posts over HTTP): every 6th phone has WhatsApp, every 11th Snapchat. The ban takes effect
/// in about three weeks, so these phones show up as "prohibited app found", with the day by
/// which the owner must remove it.
async fn seed_inventory(db: &Db, base_url: &str) -> anyhow::Result<()> {
    let phones = app::devices::repo::managed_phones_with_owner(db).await?;
    let links = app::compliance::engine::Links {
        base_url: base_url.to_owned(),
    };
    let settings = app::compliance::ComplianceSettings::default();
    // Through the report queue, like the REST API.
    let queue = app::compliance::engine::ReportQueue::start(db.clone(), settings, links);
    for (n, (mdm_id, platform, email)) in phones.into_iter().enumerate() {
        // Max Mustermann, the demo employee, has both apps on his phone.
        let n = if email == "max.mustermann@musterstadt.de" {
            0
        } else {
            n
        };
        let report: app::compliance::engine::InventoryReport =
            serde_json::from_value(crate::cli::simulated_report(n, &mdm_id, &platform))?;
        queue
            .report(report, None)
            .await
            .map_err(|e| anyhow::anyhow!("demo inventory for {mdm_id}: {e:?}"))?;
    }
    Ok(())
}

/// Devices for most employees: a service phone (Android or iOS, with IMEI and MDM id), for
/// some a laptop. Max Mustermann has a phone and a laptop.
async fn seed_devices(db: &Db) -> anyhow::Result<()> {
    use app::devices::rules::{luhn_check_digit, ValidDevice};
    use app::devices::{repo as devices, DeviceKind, Ownership, Platform};
    let now = Utc::now();
    let users = repo::user_emails(db).await?;
    let mut tx = begin_write(db).await?;
    for (n, (id, email)) in users.into_iter().enumerate() {
        let max = email == "max.mustermann@musterstadt.de";
        if n % 7 == 6 && !max {
            continue; // some people have no registered device yet
        }
        let base = format!("35{:012}", 100_000 + n);
        let imei = format!("{base}{}", luhn_check_digit(&base));
        let android = n % 5 < 3;
        let phone = ValidDevice {
            id: None,
            kind: DeviceKind::Phone,
            ownership: Ownership::Service,
            platform: if android {
                Platform::Android
            } else {
                Platform::Ios
            },
            label: "Diensthandy".into(),
            asset_tag: Some(format!("INV-{:05}", n + 1)),
            serial: None,
            imei: Some(imei),
            mdm_id: Some(format!("MDM-{:05}", n + 1)),
        };
        devices::insert(&mut tx, UserId(id), &phone, now).await?;
        if n % 3 == 0 || max {
            let laptop = ValidDevice {
                id: None,
                kind: DeviceKind::Laptop,
                ownership: Ownership::Service,
                platform: Platform::Windows,
                label: "Dienstlaptop".into(),
                asset_tag: Some(format!("INV-L{:05}", n + 1)),
                serial: Some(format!("SN{:08}", 4711 + n)),
                imei: None,
                mdm_id: Some(format!("MDM-L{:05}", n + 1)),
            };
            devices::insert(&mut tx, UserId(id), &laptop, now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

pub const MESSENGER_BAN_NUMBER: &str = "RS 2026/17";

const MESSENGER_BAN_BODY: &str = "## Anlass

Die Messenger-Dienste **WhatsApp, Snapchat, Facebook (Messenger), Kik und Line** übermitteln
Adressbuch- und Nutzungsdaten an Anbieter außerhalb der EU. Ihr Einsatz auf dienstlichen Geräten
ist mit der Datenschutz-Grundverordnung (DSGVO) nicht vereinbar.

## Regelung

1. Ab dem Stichtag dürfen die unten genannten Apps auf dienstlichen Geräten **nicht installiert** sein.
2. Das gilt auch für private Geräte, soweit Sie darauf dienstliche E-Mails, Kontakte oder Termine nutzen.
3. Für die dienstliche Kommunikation steht der städtische Messenger zur Verfügung.

## Durchsetzung

Geräte, auf denen nach dem Stichtag eine der Apps gemeldet wird, erhalten zunächst eine Warnung
per E-Mail. Nach einer Frist von sieben Tagen wird die Synchronisation von E-Mail, Kontakten und
Kalender gesperrt, bis die App entfernt ist.

Fragen beantwortet der Fachbereich Personal und Organisation, Telefon 1100.";

const MESSENGER_APPS: &str = "android; com.whatsapp; WhatsApp
ios; net.whatsapp.WhatsApp; WhatsApp
android; com.snapchat.android; Snapchat
ios; com.toyopagroup.picaboo; Snapchat
android; com.facebook.katana; Facebook
ios; com.facebook.Facebook; Facebook
android; com.facebook.orca; Facebook Messenger
ios; com.facebook.Messenger; Facebook Messenger
android; kik.android; Kik
ios; com.kik.chat; Kik
android; jp.naver.line.android; LINE
ios; jp.naver.line; LINE";

async fn session_user(db: &Db, email: &str) -> anyhow::Result<app::auth::SessionUser> {
    let mut tx = begin_read(db).await?;
    let id = repo::find_login_in(&mut tx, email)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    tx.commit().await?;
    Ok(repo::load_session_user(db, id, i64::MAX, None)
        .await?
        .context("demo user missing")?
        .0)
}

/// The messenger ban, written by one publisher and approved by the other, published to the
/// whole city; effective in about three weeks; about 40 % have acknowledged already (none of
/// the named demo accounts, so every role can try it).
async fn seed_messenger_ban(db: &Db) -> anyhow::Result<()> {
    use app::acknowledgments::{repo as acks, Attestation};
    use app::circulars::rules::{parse_circular, WorkflowAction};
    use app::circulars::{service, CircularForm};
    let author = session_user(db, "personal@musterstadt.de").await?;
    let approver = session_user(db, "organisation@musterstadt.de").await?;
    let today = app::time::today_berlin(Utc::now());
    let form = CircularForm {
        number: MESSENGER_BAN_NUMBER.into(),
        title: "Nutzung von Messenger-Diensten auf dienstlichen Geräten".into(),
        summary: "WhatsApp, Snapchat, Facebook, Kik und Line sind auf dienstlich genutzten Geräten ab dem Stichtag nicht mehr erlaubt. Bitte bestätigen Sie für jedes Ihrer Geräte, dass die Apps nicht installiert sind oder dass Sie sie rechtzeitig entfernen.".into(),
        body_md: MESSENGER_BAN_BODY.into(),
        effective_on: (today + chrono::Duration::days(23)).to_string(),
        ack_deadline: (today + chrono::Duration::days(14)).to_string(),
        whole_city: "on".into(),
        apps: MESSENGER_APPS.into(),
        ..Default::default()
    };
    let valid = parse_circular(&form, today)
        .map_err(|p| anyhow::anyhow!("demo circular invalid: {p:?}"))?;
    let err = |e: app::error::AppError| anyhow::anyhow!("demo circular: {e:?}");
    let id = service::save_draft(db, &author, None, valid)
        .await
        .map_err(err)?;
    service::transition(db, &author, id, WorkflowAction::Submit)
        .await
        .map_err(err)?;
    service::transition(db, &approver, id, WorkflowAction::Publish)
        .await
        .map_err(err)?;

    let people = repo::user_emails(db).await?;
    let mut tx = begin_write(db).await?;
    let sha = acks::version_hash(&mut tx, id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    for (n, (user, email)) in people.into_iter().enumerate() {
        if n % 5 >= 2 || ACCOUNTS.iter().any(|a| a.email == email) {
            continue;
        }
        let devices = acks::active_device_ids(&mut *tx, UserId(user)).await?;
        let attested: Vec<_> = devices
            .into_iter()
            .map(|d| (d, Attestation::NoneInstalled))
            .collect();
        let at = Utc::now() - chrono::Duration::hours((n % 48) as i64);
        acks::insert(
            &mut tx,
            &acks::NewAcknowledgment {
                user: UserId(user),
                version: id,
                content_sha256: &sha,
                locale: Locale::De,
                auth_method: app::auth::AuthMethod::Password,
                on_behalf: None,
                devices: &attested,
                at,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn insert(
    tx: &mut app::db::Tx,
    user: &ValidUser,
    hash: &str,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<UserId> {
    Ok(repo::insert_user(tx, user, Some(hash), now).await?)
}

/// The table the run command prints.
pub fn accounts_table() -> String {
    let mut out = String::from("Demo accounts (Stadt Musterstadt):\n");
    out.push_str(&format!(
        "  {:<32} {:<16} {}\n",
        "email", "password", "role"
    ));
    for a in ACCOUNTS {
        out.push_str(&format!(
            "  {:<32} {:<16} {} ({})\n",
            a.email, a.password, a.what, a.name
        ));
    }
    out.push_str(&format!(
        "  Admins need a second factor: add the key {} to an authenticator app (TOTP, 6 digits, 30 s),\n  or use a recovery code (each works once): {}\n",
        app::auth::second_factor::grouped(ADMIN_TOTP_SECRET),
        ADMIN_RECOVERY_CODES.join(" ")
    ));
    out.push_str(&format!("  Circular {MESSENGER_BAN_NUMBER} (messenger ban) is published to the whole city; about 40 % have acknowledged.\n"));
    out.push_str("  The MDM reported WhatsApp or Snapchat on some phones (see /compliance as admin); `server simulate-mdm` posts such reports through the API.\n");
    out.push_str(&format!("  …and {GENERATED_EMPLOYEES} more employees (firstname.lastname@{DOMAIN}), password {EMPLOYEE_PASSWORD}\n"));
    out
}
