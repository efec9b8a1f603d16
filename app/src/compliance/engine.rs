//! The compliance engine: applies inventory reports (in the per-process `ReportQueue`'s
//! writer task, in batches), moves devices through their states (there and in the background
//! job), computes an access decision from a device's rows (`decision_from`, which each
//! node's `access::AccessCache` answers with) and dry runs. Every transition is recorded
//! with its cause, and the owner gets a mail through the outbox in the same transaction.
use super::repo::{self, DeviceRow, FoundApp, InForce, Stored, Transition};
use super::rules::{self, Facts, Standing};
use super::{AppId, Cause, ComplianceSettings, ComplianceState, Ground, Rule};
use crate::circulars::CircularId;
use crate::db::{begin_write, Db, Tx};
use crate::devices::{DeviceId, Platform};
use crate::error::{AppError, FieldError};
use crate::i18n::Problem;
use crate::notifications::templates::{self, ComplianceMail};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// An MDM's inventory report for one device.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryReport {
    /// The device's id in the MDM (letters, digits, `-_.:/`, at most 64 characters).
    pub mdm_id: String,
    /// One of `android`, `ios`, `windows`, `macos`, `linux`, `other`.
    pub platform: String,
    /// Installed apps (at most 5,000). Only prohibited ones are stored.
    pub apps: Vec<ReportedApp>,
    /// For devices the portal does not know yet: the owner's e-mail address or personnel
    /// number. The device is then registered to that person; without it, an unknown
    /// `mdm_id` is rejected.
    #[serde(default)]
    pub owner: Option<String>,
    /// Name for an auto-registered device (default "MDM <mdm_id>").
    #[serde(default)]
    pub device_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportedApp {
    /// Android package name, iOS bundle id or Windows app id.
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

/// Where a device stands under one rule, as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleStatus {
    /// `circular:<id>` or `stale`.
    #[schema(value_type = String)]
    pub rule: Rule,
    /// Circular number, for circular rules.
    pub circular: Option<String>,
    #[schema(value_type = String)]
    pub state: ComplianceState,
    #[schema(value_type = Vec<String>)]
    pub apps: Vec<AppId>,
    /// While warned: when access ends.
    pub block_at: Option<DateTime<Utc>>,
}

/// Result of an inventory report.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportOutcome {
    #[schema(value_type = i64)]
    pub device_id: DeviceId,
    /// The device was unknown and has been registered to the given owner.
    pub registered: bool,
    /// Prohibited apps found in this report.
    #[schema(value_type = Vec<String>)]
    pub prohibited_apps: Vec<AppId>,
    /// The device's standings that are not compliant after the report.
    pub standings: Vec<RuleStatus>,
    /// The access decision after the report.
    pub decision: Decision,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
}

/// Why a device is denied (or is about to be).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    /// `circular:<id>`, `stale` or `retired`.
    #[schema(value_type = String)]
    pub rule: Ground,
    pub circular: Option<String>,
    pub title: Option<String>,
    #[schema(value_type = Vec<String>)]
    pub apps: Vec<AppId>,
    /// Since when the current state holds.
    pub since: Option<DateTime<Utc>>,
    /// When access ends (or ended).
    pub block_at: Option<DateTime<Utc>>,
}

/// The mail gateway's answer for one device.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessDecision {
    pub mdm_id: String,
    pub decision: Decision,
    /// Causes of a `deny`.
    pub reasons: Vec<Reason>,
    /// Warnings that will lead to `deny` at their `block_at` unless resolved.
    pub pending: Vec<Reason>,
}

/// Where mails link to.
#[derive(Debug, Clone)]
pub struct Links {
    pub base_url: String,
}

impl Links {
    fn devices(&self) -> String {
        format!("{}/devices", self.base_url.trim_end_matches('/'))
    }
}

/// Checks a report and returns its MDM id and platform.
fn validate(report: &InventoryReport) -> Result<(String, Platform), AppError> {
    let mut errors = vec![];
    let mdm_id = match crate::devices::rules::parse_ident(&report.mdm_id) {
        Ok(Some(id)) => id,
        Ok(None) => {
            errors.push(FieldError::new("mdm_id", Problem::Required));
            String::new()
        }
        Err(p) => {
            errors.push(FieldError::new("mdm_id", p));
            String::new()
        }
    };
    let platform = Platform::parse(&report.platform);
    if platform.is_none() {
        let named = report.platform.trim().chars().take(40).collect();
        errors.push(FieldError::new("platform", Problem::UnknownPlatform(named)));
    }
    if report.apps.len() > rules::MAX_APPS_PER_REPORT {
        errors.push(FieldError::new(
            "apps",
            Problem::TooMany(rules::MAX_APPS_PER_REPORT),
        ));
    } else if let Some(i) = report.apps.iter().position(|a| a.id.trim().is_empty()) {
        errors.push(FieldError::new(format!("apps[{i}].id"), Problem::Required));
    } else if let Some(i) = report
        .apps
        .iter()
        .position(|a| a.id.len() > rules::MAX_APP_ID_LEN)
    {
        errors.push(FieldError::new(
            format!("apps[{i}].id"),
            Problem::TooLong(rules::MAX_APP_ID_LEN),
        ));
    }
    match (errors.is_empty(), platform) {
        (true, Some(p)) => Ok((mdm_id, p)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Applies one checked report inside the caller's write transaction. A validation error is
/// returned before anything is written for this report, so the caller may go on with
/// others in the same transaction; any other error means the transaction must be dropped.
async fn apply_report(
    tx: &mut Tx,
    in_force: &[InForce],
    settings: &ComplianceSettings,
    links: &Links,
    report: &InventoryReport,
    (mdm_id, platform): &(String, Platform),
    now: DateTime<Utc>,
) -> Result<ReportOutcome, AppError> {
    let (mdm_id, platform) = (mdm_id.as_str(), *platform);
    let (device, registered): (DeviceRow, bool) = match repo::device_by_mdm(tx, mdm_id).await? {
        Some(d) => (correct_owner(tx, report, d, now).await?, false),
        None => (
            auto_register(tx, report, mdm_id, platform, now).await?,
            true,
        ),
    };
    let device = match device {
        d if d.retired_at.is_some() => {
            return Err(AppError::field("mdm_id", Problem::DeviceRetired))
        }
        d => d,
    };
    let banned: HashSet<AppId> = in_force.iter().flat_map(|c| c.apps_on(platform)).collect();
    let reported: Vec<AppId> = report
        .apps
        .iter()
        .map(|a| AppId::normalise(&a.id))
        .collect();
    // Name and version of a prohibited app are taken from its first mention in the report.
    let found: Vec<FoundApp> = rules::prohibited(&reported, &banned)
        .into_iter()
        .map(|id| {
            let app = &report.apps[reported.iter().position(|r| *r == id).expect("reported")];
            FoundApp {
                id,
                name: app.name.clone(),
                version: app.version.clone(),
            }
        })
        .collect();
    repo::replace_matches(tx, device.id, &device.matched_apps(), &found, now).await?;
    repo::set_platform_and_report_time(tx, device.id, platform, now).await?;
    let mut device = device;
    device.platform = platform;
    device.last_inventory_at = Some(now);
    let matched = found.iter().map(|m| m.id.clone()).collect();
    let run = Run {
        in_force,
        settings,
        links,
        now,
        cause: Cause::Report,
    };
    let standings = evaluate(tx, &run, &device, Some(matched)).await?.standings;
    let decision = if standings
        .iter()
        .any(|s| rules::denies(s.state, s.block_at, now))
    {
        Decision::Deny
    } else {
        Decision::Allow
    };
    Ok(ReportOutcome {
        device_id: device.id,
        registered,
        prohibited_apps: found.into_iter().map(|m| m.id).collect(),
        standings,
        decision,
    })
}

/// A checked report waiting to be applied: the report, its MDM id and platform, the time
/// it counts as received (`None`: when it is written), and where its answer goes.
struct ReportJob {
    report: InventoryReport,
    checked: (String, Platform),
    at: Option<DateTime<Utc>>,
    answer: tokio::sync::oneshot::Sender<Result<ReportOutcome, AppError>>,
}

/// Group commit for inventory reports: requests hand their report to one writer task per
/// process, which applies whatever has queued up (up to [`ReportQueue::BATCH`]) in one write
/// transaction. Under load this shares one lock acquisition and one commit among many
/// reports instead of queueing each for the lock; a lone report is applied at once.
/// Each request still gets its own answer: a report with bad content is answered with its
/// validation error and does not affect the others (it wrote nothing); if the transaction
/// fails, every report of the batch gets the error and none of them is stored.
///
/// This is the only way reports are applied: the REST API, the demo seed and the tests all
/// go through it.
#[derive(Clone)]
pub struct ReportQueue {
    tx: tokio::sync::mpsc::Sender<ReportJob>,
}

impl ReportQueue {
    pub const BATCH: usize = 64;

    pub fn start(db: Db, settings: ComplianceSettings, links: Links) -> ReportQueue {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<ReportJob>(4 * Self::BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(Self::BATCH);
            while rx.recv_many(&mut batch, Self::BATCH).await > 0 {
                let jobs = std::mem::take(&mut batch);
                let results = Self::apply_batch(&db, &settings, &links, &jobs).await;
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.answer.send(result);
                }
            }
        });
        ReportQueue { tx }
    }

    /// Validates the report, queues it and waits for its outcome. `at` is when the report
    /// counts as received: `None` (the API) means the moment it is written, under the write
    /// lock, so that reports and job transitions are evaluated in the order they commit;
    /// tests pass other days.
    pub async fn report(
        &self,
        report: InventoryReport,
        at: Option<DateTime<Utc>>,
    ) -> Result<ReportOutcome, AppError> {
        let checked = validate(&report)?;
        let (answer, outcome) = tokio::sync::oneshot::channel();
        let job = ReportJob {
            report,
            checked,
            at,
            answer,
        };
        self.tx.send(job).await.map_err(|_| AppError::Internal)?;
        outcome.await.map_err(|_| AppError::Internal)?
    }

    async fn apply_batch(
        db: &Db,
        settings: &ComplianceSettings,
        links: &Links,
        jobs: &[ReportJob],
    ) -> Vec<Result<ReportOutcome, AppError>> {
        let all_failed = |err: AppError| jobs.iter().map(|_| Err(err.clone())).collect();
        let in_force = match repo::in_force(db).await {
            Ok(f) => f,
            Err(err) => return all_failed(err.into()),
        };
        let mut tx = match begin_write(db).await {
            Ok(tx) => tx,
            Err(err) => return all_failed(err.into()),
        };
        let written_at = Utc::now();
        let mut results = Vec::with_capacity(jobs.len());
        for job in jobs {
            let result = apply_report(
                &mut tx,
                &in_force,
                settings,
                links,
                &job.report,
                &job.checked,
                job.at.unwrap_or(written_at),
            )
            .await;
            match result {
                Err(AppError::Validation(_)) | Ok(_) => results.push(result),
                // A database error leaves the transaction unusable: nothing of the batch is kept.
                Err(err) => return all_failed(err),
            }
        }
        match tx.commit().await {
            Ok(()) => results,
            Err(err) => all_failed(err.into()),
        }
    }
}

/// The active user a report names as `owner` (e-mail or personnel number); `None` when the
/// report names nobody, an error when it names someone unknown.
async fn reported_owner(
    tx: &mut Tx,
    report: &InventoryReport,
) -> Result<Option<crate::org::UserId>, AppError> {
    let Some(owner) = report
        .owner
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    else {
        return Ok(None);
    };
    match crate::org::repo::find_active_by_identity(tx, owner).await? {
        Some(id) => Ok(Some(id)),
        None => Err(AppError::field("owner", Problem::UnknownOwner)),
    }
}

/// The MDM's word on whose device this is. A device that only its registrant vouches for
/// (never reported, never imported) moves to the owner the MDM names — so nobody can claim a
/// colleague's MDM id and then retire it to cut the colleague's phone off; the wrong
/// registration is undone (and audited). A managed device whose owner the MDM contradicts is
/// refused: moving it is an admin's decision (device import).
async fn correct_owner(
    tx: &mut Tx,
    report: &InventoryReport,
    device: DeviceRow,
    now: DateTime<Utc>,
) -> Result<DeviceRow, AppError> {
    let Some(owner_id) = reported_owner(tx, report).await? else {
        return Ok(device);
    };
    if owner_id == device.owner_id {
        return Ok(device);
    }
    if device.managed_at.is_some() || device.last_inventory_at.is_some() {
        return Err(AppError::field("owner", Problem::RegisteredToOther));
    }
    crate::devices::repo::reassign_unmanaged(tx, device.id, owner_id, now).await?;
    // Every identifier the device carries (MDM id, IMEI) goes with it.
    crate::devices::repo::move_claims(tx, device.id, owner_id).await?;
    crate::org::repo::audit(
        tx,
        None,
        "device.owner_corrected",
        &format!("device:{}", device.id.0),
        serde_json::json!({ "mdm_id": device.mdm_id, "from": device.owner_id, "to": owner_id }),
        now,
    )
    .await?;
    tracing::warn!(
        device_id = device.id.0,
        from = device.owner_id.0,
        to = owner_id.0,
        "MDM corrected the owner of a self-registered device"
    );
    repo::device_row(tx, device.id)
        .await?
        .ok_or(AppError::Internal)
}

async fn auto_register(
    tx: &mut Tx,
    report: &InventoryReport,
    mdm_id: &str,
    platform: Platform,
    now: DateTime<Utc>,
) -> Result<DeviceRow, AppError> {
    use crate::devices::{DeviceKind, Ownership};
    let Some(owner_id) = reported_owner(tx, report).await? else {
        return Err(AppError::field("mdm_id", Problem::UnknownMdmId));
    };
    let label = report
        .device_name
        .as_deref()
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("MDM {mdm_id}"));
    let label: String = label.chars().take(80).collect();
    let device = crate::devices::rules::ValidDevice {
        id: None,
        kind: DeviceKind::default_for(platform),
        ownership: Ownership::Service,
        platform,
        label,
        asset_tag: None,
        serial: None,
        imei: None,
        mdm_id: Some(mdm_id.to_owned()),
    };
    // An MDM id belongs to one person for ever: one that an MDM or admin assigned to someone
    // else is moved only by an admin (device import), never by a report. A claim resting on
    // a self-registration alone yields to the MDM.
    if !crate::devices::repo::vouched_claims_of_others(tx, owner_id, Some(mdm_id), None)
        .await?
        .is_empty()
    {
        return Err(AppError::field("owner", Problem::MdmIdOfOther));
    }
    let id = crate::devices::repo::insert(tx, owner_id, &device, now).await?;
    // (`insert` claimed the id; re-registered under an identifier a blocked device carried,
    // the new device inherited that standing.)
    crate::devices::repo::mark_managed(tx, id, now).await?;
    crate::org::repo::audit(
        tx,
        None,
        "device.auto_register",
        &format!("device:{}", id.0),
        serde_json::json!({ "mdm_id": mdm_id, "owner": owner_id.0 }),
        now,
    )
    .await?;
    repo::device_row(tx, id).await?.ok_or(AppError::Internal)
}

/// What one evaluation pass knows: the rules in force, the settings, the time and why it runs.
pub struct Run<'a> {
    pub in_force: &'a [InForce],
    pub settings: &'a ComplianceSettings,
    pub links: &'a Links,
    pub now: DateTime<Utc>,
    pub cause: Cause,
}

/// Re-evaluates one device under every rule and records the changes. `matched` are the
/// device's prohibited apps when the caller has them at hand (else they are read).
pub async fn evaluate(
    tx: &mut Tx,
    run: &Run<'_>,
    device: &DeviceRow,
    matched: Option<HashSet<AppId>>,
) -> Result<Evaluation, sqlx::Error> {
    let mut out = Evaluation::default();
    if device.retired_at.is_some() {
        return Ok(out);
    }
    let (now, settings) = (run.now, run.settings);
    let platform = device.platform;
    let matched = matched.unwrap_or_else(|| device.matched_apps());
    let mut stored = if device.has_standings {
        repo::standings_of(tx, device.id).await?
    } else {
        Default::default()
    };
    // Apps of each circular found on the device.
    let found: Vec<Vec<AppId>> = run
        .in_force
        .iter()
        .map(|c| rules::prohibited(&matched, &c.apps_on(platform)))
        .collect();
    // Exemptions matter only where an app was found (most reports are clean).
    let exempt = if found.iter().any(|a| !a.is_empty()) {
        repo::exempt_circulars(tx, device.id, crate::time::today_berlin(now)).await?
    } else {
        HashSet::new()
    };
    for (circular, apps) in run.in_force.iter().zip(found) {
        let rule = circular.rule();
        let current = stored.remove(&rule);
        let facts = Facts {
            app_present: !apps.is_empty(),
            effective_at: crate::time::start_of_day_berlin(circular.effective_on),
            exempt: exempt.contains(&circular.circular_id),
            grace: Duration::days(settings.grace_days),
            now,
        };
        let label = format!("{} „{}“", circular.number, circular.title);
        let before = standing_of(current.as_ref());
        let after = rules::next_standing(&before, &facts);
        let change = Change {
            rule,
            stored_apps: current.as_ref().map(|c| c.apps.as_slice()),
            before: &before,
            after: &after,
            apps: &apps,
            circular_label: &label,
        };
        out.changes += apply(tx, run, device, change, run.cause).await? as usize;
        if after.state != ComplianceState::Compliant {
            out.standings.push(RuleStatus {
                rule,
                circular: Some(circular.number.clone()),
                state: after.state,
                apps,
                block_at: after.block_at,
            });
        }
    }
    // Stale rule: only devices an MDM manages are expected to report.
    let stale = match device.mdm_id {
        Some(_) => rules::stale_state(
            settings.stale_policy,
            device.last_inventory_at,
            device.registered_at,
            Duration::days(settings.stale_after_days),
            now,
        ),
        None => ComplianceState::Compliant,
    };
    let current = stored.remove(&Rule::Stale);
    let after = Standing {
        state: stale,
        warned_at: None,
        block_at: None,
    };
    let change = Change {
        rule: Rule::Stale,
        stored_apps: current.as_ref().map(|c| c.apps.as_slice()),
        before: &standing_of(current.as_ref()),
        after: &after,
        apps: &[],
        circular_label: "",
    };
    out.changes += apply(tx, run, device, change, run.cause).await? as usize;
    if stale != ComplianceState::Compliant {
        out.standings.push(RuleStatus {
            rule: Rule::Stale,
            circular: None,
            state: stale,
            apps: vec![],
            block_at: None,
        });
    }
    // Rules left over belong to circulars no longer in force (withdrawn or superseded by
    // a version without the ban): the device is compliant with them.
    let cause = match run.cause {
        Cause::Report => Cause::Report,
        _ => Cause::Withdrawn,
    };
    for (rule, current) in stored {
        let change = Change {
            rule,
            stored_apps: Some(&current.apps),
            before: &current.standing,
            after: &Standing::compliant(),
            apps: &[],
            circular_label: "",
        };
        out.changes += apply(tx, run, device, change, cause).await? as usize;
    }
    // By the rule's text, as the API has always listed them.
    out.standings.sort_by_key(|s| s.rule.to_string());
    Ok(out)
}

/// What `evaluate` did: the number of transitions and the device's standings that are not
/// compliant afterwards.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub changes: usize,
    pub standings: Vec<RuleStatus>,
}

fn standing_of(stored: Option<&Stored>) -> Standing {
    stored
        .map(|c| c.standing.clone())
        .unwrap_or_else(Standing::compliant)
}

/// One rule of one device: where it stands and where the rules move it.
struct Change<'a> {
    rule: Rule,
    /// Apps stored with the current standing (`None`: no row yet).
    stored_apps: Option<&'a [AppId]>,
    before: &'a Standing,
    after: &'a Standing,
    /// Matched apps now.
    apps: &'a [AppId],
    circular_label: &'a str,
}

/// Records a real change of one rule (with its mail); otherwise only refreshes the apps.
async fn apply(
    tx: &mut Tx,
    run: &Run<'_>,
    device: &DeviceRow,
    c: Change<'_>,
    cause: Cause,
) -> Result<bool, sqlx::Error> {
    let (rule, apps, before, after) = (c.rule, c.apps, c.before, c.after);
    if after.state == before.state {
        if c.stored_apps.is_some_and(|a| a != apps) && after.state != ComplianceState::Compliant {
            repo::update_apps(tx, device.id, rule, apps).await?;
        }
        return Ok(false);
    }
    let transition = repo::record_transition(
        tx,
        &Transition {
            device: device.id,
            rule,
            from: before.state,
            to: after,
            apps,
            cause,
            at: run.now,
        },
    )
    .await?;
    use ComplianceState::*;
    let mail = match rule {
        Rule::Stale => matches!(after.state, Stale | Blocked).then_some(ComplianceMail::Stale),
        Rule::Circular(_) => match (before.state, after.state) {
            (_, Warned) => Some(ComplianceMail::Warned),
            (_, Blocked) => Some(ComplianceMail::Blocked),
            (Warned | Blocked, Compliant | Exempt) => Some(ComplianceMail::Restored),
            _ => None,
        },
    };
    if let Some(kind) = mail {
        let locale = device.owner_locale;
        let block_on = after
            .block_at
            .map(|b| crate::time::today_berlin(b).to_string())
            .unwrap_or_default();
        let apps = super::app_list(apps);
        let mail = templates::compliance(
            locale,
            kind,
            &templates::ComplianceFacts {
                name: &device.owner_name,
                device: &device.label,
                apps: &apps,
                circular: c.circular_label,
                block_on: &block_on,
                link: &run.links.devices(),
            },
        );
        crate::notifications::outbox::enqueue(
            tx,
            &format!("compliance:{transition}"),
            &device.owner_email,
            &mail,
            run.now,
        )
        .await?;
    }
    Ok(true)
}

/// Devices the job evaluates per write transaction: a few milliseconds of the writer, so a
/// request never waits long behind the job.
const JOB_BATCH: usize = 50;

/// Result of one run of the background job.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JobRun {
    pub devices: usize,
    pub transitions: usize,
}

/// The background job: re-evaluates every device that may change state at `now` (matches,
/// non-compliant standings, stale candidates), in batches of short write transactions.
/// Several nodes may run it at once: each batch re-reads the standings under the write
/// lock, so a transition that another node already made is simply not repeated.
pub async fn run_job(
    db: &Db,
    settings: &ComplianceSettings,
    links: &Links,
    now: DateTime<Utc>,
) -> Result<JobRun, sqlx::Error> {
    let in_force = repo::in_force(db).await?;
    let stale_before = (settings.stale_policy != super::StalePolicy::Ignore)
        .then(|| now - Duration::days(settings.stale_after_days));
    let pass = Run {
        in_force: &in_force,
        settings,
        links,
        now,
        cause: Cause::Job,
    };
    let mut run = JobRun::default();
    // The candidates are read once (before, every batch ran the whole candidate query again,
    // a scan of the city's devices per 50 devices); a device that becomes a candidate
    // meanwhile is evaluated when its report arrives, and by the next run.
    let candidates = repo::job_candidates(db, stale_before).await?;
    for batch in candidates.chunks(JOB_BATCH) {
        let mut tx = begin_write(db).await?;
        for &id in batch {
            if let Some(device) = repo::device_row(&mut tx, id).await? {
                run.devices += 1;
                run.transitions += evaluate(&mut tx, &pass, &device, None).await?.changes;
            }
        }
        tx.commit().await?;
    }
    Ok(run)
}

/// Re-evaluates one device now (after an exemption was granted or revoked).
pub async fn reevaluate(
    tx: &mut Tx,
    id: DeviceId,
    settings: &ComplianceSettings,
    links: &Links,
    now: DateTime<Utc>,
    cause: Cause,
) -> Result<(), sqlx::Error> {
    let in_force = repo::in_force(&mut **tx).await?;
    if let Some(device) = repo::device_row(tx, id).await? {
        let run = Run {
            in_force: &in_force,
            settings,
            links,
            now,
            cause,
        };
        evaluate(tx, &run, &device, None).await?;
    }
    Ok(())
}

/// The decision at `now` from a device's retirement and decision rows: denied when retired
/// or when a standing denies at `now` (blocked, or warned with its block date passed).
pub fn decision_from(
    mdm_id: &str,
    retired: bool,
    rows: &[repo::DecisionRow],
    now: DateTime<Utc>,
) -> AccessDecision {
    let mut reasons = vec![];
    let mut pending = vec![];
    if retired {
        reasons.push(Reason {
            rule: Ground::Retired,
            circular: None,
            title: None,
            apps: vec![],
            since: None,
            block_at: None,
        });
    }
    for r in rows {
        let (Some(rule), Some(state)) = (r.rule, r.state) else {
            continue;
        };
        let reason = Reason {
            rule: Ground::Rule(rule),
            circular: r.number.clone(),
            title: r.title.clone(),
            apps: r.apps(),
            since: r.since,
            block_at: r.block_at,
        };
        if rules::denies(state, r.block_at, now) {
            reasons.push(reason);
        } else {
            pending.push(reason);
        }
    }
    AccessDecision {
        mdm_id: mdm_id.to_owned(),
        decision: if reasons.is_empty() {
            Decision::Allow
        } else {
            Decision::Deny
        },
        reasons,
        pending,
    }
}

/// Dry run: what the engine would make of each device that currently carries one of the
/// circular's apps, on `day` (Europe/Berlin, noon), assuming no further reports.
pub async fn dry_run(
    db: &Db,
    settings: &ComplianceSettings,
    circular_id: CircularId,
    day: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<Vec<super::DryRunRow>>, sqlx::Error> {
    let in_force = repo::in_force(db).await?;
    let Some(circular) = in_force.into_iter().find(|c| c.circular_id == circular_id) else {
        return Ok(None);
    };
    let at = crate::time::start_of_day_berlin(day) + Duration::hours(12);
    let effective_at = crate::time::start_of_day_berlin(circular.effective_on);
    let rule = circular.rule();
    let mut out = vec![];
    for carrier in repo::devices_matching(db, &circular).await? {
        let id = carrier.id;
        let mut tx = crate::db::begin_read(db).await?;
        let current = repo::standings_of(&mut tx, id)
            .await?
            .remove(&rule)
            .map(|s| s.standing)
            .unwrap_or_else(Standing::compliant);
        let exempt = repo::exempt_circulars(&mut tx, id, day)
            .await?
            .contains(&circular_id);
        tx.rollback().await?;
        let facts = |t: DateTime<Utc>| Facts {
            app_present: true,
            effective_at,
            exempt,
            grace: Duration::days(settings.grace_days),
            now: t,
        };
        // The job's first run on or after the effective date, then the chosen day.
        let first = now.max(effective_at).min(at.max(now));
        let mid = rules::next_standing(&current, &facts(first));
        let end = rules::next_standing(&mid, &facts(at.max(now)));
        out.push(super::DryRunRow {
            device: carrier.label,
            owner: carrier.owner,
            unit: carrier.unit,
            apps: carrier.apps,
            outcome: end.state,
        });
    }
    Ok(Some(out))
}
