//! CLI commands that talk to other systems: API tokens and the MDM simulator.
use anyhow::{bail, Context};
use app::db::Db;
use app::error::AppError;
use app::i18n::Locale;
use app::tokens::{repo, rules, service};

/// An application error as the command line reports it, in English; validation problems
/// name the command-line option (`flags` maps field names to options, e.g. `name` →
/// `--name`).
pub fn cli_error(err: AppError, flags: &[(&str, &str)]) -> anyhow::Error {
    match err {
        AppError::Validation(fields) => anyhow::anyhow!(fields
            .iter()
            .map(|f| {
                let place = f.place(Locale::En);
                let flag = flags
                    .iter()
                    .find(|(field, _)| *field == f.field)
                    .map_or(place.as_str(), |(_, flag)| flag);
                format!("{flag}: {}", f.message(Locale::En))
            })
            .collect::<Vec<_>>()
            .join("; ")),
        AppError::Internal => anyhow::anyhow!("internal error (the log above says what failed)"),
        other => anyhow::anyhow!("{other}"),
    }
}

pub enum TokenArgs {
    Create { name: String, scopes: Vec<String> },
    List,
    Revoke(i64),
}

pub async fn token(db: &Db, args: TokenArgs) -> anyhow::Result<()> {
    match args {
        TokenArgs::Create { name, scopes } => {
            let issued = service::issue_checked(db, &name, &scopes, None, chrono::Utc::now())
                .await
                .map_err(|e| cli_error(e, &[("name", "--name"), ("scopes", "--scope")]))?;
            println!(
                "Token {} ({}) issued with scopes: {}",
                issued.id,
                issued.name,
                rules::scopes_text(&issued.scopes)
            );
            println!(
                "Secret (shown only now; store it in the calling system):\n{}",
                issued.secret
            );
        }
        TokenArgs::List => {
            for t in repo::list(db).await? {
                println!(
                    "{:>4}  {:<30} {:<12} {:<40} last used: {}{}",
                    t.id,
                    t.name,
                    format!("{}…", t.prefix),
                    rules::scopes_text(&t.scopes),
                    t.last_used_at.unwrap_or_else(|| "never".into()),
                    t.revoked_at
                        .map(|r| format!(", revoked {r}"))
                        .unwrap_or_default()
                );
            }
        }
        TokenArgs::Revoke(id) => {
            match service::revoke(db, id, None, chrono::Utc::now()).await {
                Ok(()) => {}
                Err(AppError::NotFound) => bail!("no active token with id {id}"),
                Err(other) => return Err(cli_error(other, &[])),
            }
            println!(
                "Token {id} revoked (running servers forget it within {} s).",
                app::tokens::cache::TTL.as_secs()
            );
        }
    }
    Ok(())
}

/// Apps a typical service phone carries, by platform.
const ANDROID_APPS: &[(&str, &str)] = &[
    ("com.android.chrome", "Chrome"),
    ("com.microsoft.office.outlook", "Outlook"),
    ("com.microsoft.teams", "Teams"),
    ("de.bund.bsi.ausweisapp", "AusweisApp"),
    ("org.thoughtcrime.securesms", "Signal"),
    ("com.google.android.apps.maps", "Maps"),
    ("de.db.bahn.navigator", "DB Navigator"),
    ("im.threema.app", "Threema"),
];
const IOS_APPS: &[(&str, &str)] = &[
    ("com.apple.mobilesafari", "Safari"),
    ("com.microsoft.Office.Outlook", "Outlook"),
    ("com.microsoft.skype.teams", "Teams"),
    ("ch.threema.iapp", "Threema"),
    ("de.bund.bsi.ausweisapp2", "AusweisApp"),
    ("de.hafas.android.db", "DB Navigator"),
];

/// Posts an inventory report for every device with an MDM id through the real API, the way
/// an MDM would after its nightly sync: most devices are clean, some carry WhatsApp or
/// Snapchat. Prints the portal's answer per device.
pub async fn simulate_mdm(
    db: &Db,
    url: &str,
    token: Option<String>,
    limit: Option<usize>,
) -> anyhow::Result<()> {
    let token = match token {
        Some(t) => t,
        None => {
            let issued = service::issue(
                db,
                "MDM-Simulator",
                &[app::tokens::Scope::InventoryWrite],
                None,
                chrono::Utc::now(),
            )
            .await?;
            println!(
                "Issued token {} (\"MDM-Simulator\", inventory:write).",
                issued.id
            );
            issued.secret
        }
    };
    let devices = app::devices::repo::managed_phones(db).await?;
    let client = reqwest::Client::new();
    let endpoint = format!("{}/api/v1/inventory", url.trim_end_matches('/'));
    let (mut sent, mut flagged) = (0, 0);
    for (n, (mdm_id, platform)) in devices
        .into_iter()
        .take(limit.unwrap_or(usize::MAX))
        .enumerate()
    {
        let report = simulated_report(n, &mdm_id, &platform);
        let res = client
            .post(&endpoint)
            .bearer_auth(&token)
            .json(&report)
            .send()
            .await
            .with_context(|| format!("cannot reach {endpoint}; is the portal running?"))?;
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{mdm_id}: {status} {body}");
        }
        sent += 1;
        let found = body["prohibited_apps"]
            .as_array()
            .map(std::vec::Vec::len)
            .unwrap_or(0);
        if found > 0 {
            flagged += 1;
            println!(
                "{mdm_id}: prohibited {} → {}",
                body["prohibited_apps"], body["decision"]
            );
        }
    }
    println!("Reported {sent} devices; {flagged} carry prohibited apps.");
    Ok(())
}

/// A deterministic but varied inventory: every 6th device has WhatsApp, every 11th Snapchat.
pub fn simulated_report(n: usize, mdm_id: &str, platform: &str) -> serde_json::Value {
    let ios = platform == "ios";
    let mut apps: Vec<serde_json::Value> = (if ios { IOS_APPS } else { ANDROID_APPS })
        .iter()
        .map(|(id, name)| serde_json::json!({ "id": id, "name": name }))
        .collect();
    if n.is_multiple_of(6) {
        let id = if ios {
            "net.whatsapp.WhatsApp"
        } else {
            "com.whatsapp"
        };
        apps.push(serde_json::json!({ "id": id, "name": "WhatsApp", "version": "2.26.21" }));
    }
    if n.is_multiple_of(11) {
        let id = if ios {
            "com.toyopagroup.picaboo"
        } else {
            "com.snapchat.android"
        };
        apps.push(serde_json::json!({ "id": id, "name": "Snapchat", "version": "13.60" }));
    }
    serde_json::json!({ "mdm_id": mdm_id, "platform": platform, "apps": apps })
}
