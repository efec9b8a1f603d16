//! Operations on circulars: drafts, the workflow, new versions, attachments (each write in
//! one `BEGIN IMMEDIATE` transaction with its audit entry), and the publisher's scoped reads
//! (the list, one version, the counts once published).
use super::repo;
use super::rules::{
    ack_basis, changed_fields, check_four_eyes, next_status, scope_covers, ValidCircular,
    WorkflowAction,
};
use super::{ChangeKind, ProhibitedApp, VersionId, VersionStatus};
use crate::auth::{Role, SessionUser};
use crate::db::{begin_write, Db, Tx};
use crate::error::AppError;
use crate::i18n::Problem;
use crate::org::repo::audit;
use crate::org::UnitPath;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The canonical content a version's hash covers (field order is fixed by this struct; apps
/// are sorted by platform and identifier). README documents it for third-party checks.
#[derive(Serialize)]
pub struct HashedContent<'a> {
    pub number: &'a str,
    pub version_no: i64,
    pub title: &'a str,
    pub summary: &'a str,
    pub body_html: &'a str,
    pub effective_on: String,
    pub ack_deadline: String,
    pub apps: Vec<&'a ProhibitedApp>,
    /// (file name, SHA-256) of each attachment, in upload order.
    pub attachments: Vec<(String, String)>,
}

pub fn content_sha256(content: &HashedContent<'_>) -> String {
    let json = serde_json::to_string(content).expect("plain data serialises");
    format!("{:x}", Sha256::digest(json.as_bytes()))
}

fn problem(field: &str, p: Problem) -> AppError {
    AppError::field(field, p)
}

/// Scope paths of the user's publisher grants.
fn publisher_scopes(user: &SessionUser) -> Vec<UnitPath> {
    user.roles
        .iter()
        .filter(|g| g.role == Role::Publisher)
        .filter_map(|g| g.scope_path.clone())
        .collect()
}

/// The publisher's scope must cover the audience (and exist). Called with the *stored*
/// audience before any change, so that a scoped publisher cannot take over a draft of
/// another scope by submitting an audience of their own, and with the new one.
async fn check_scope(tx: &mut Tx, user: &SessionUser, c: &ValidCircular) -> Result<(), AppError> {
    let units: Vec<_> = c.audience.iter().map(|(u, _)| *u).collect();
    let paths = repo::unit_paths(tx, &units)
        .await?
        .ok_or_else(|| problem("audience", Problem::UnknownUnit))?;
    let root = repo::root_path(tx).await?;
    if scope_covers(&publisher_scopes(user), &root, c.whole_city, &paths) {
        Ok(())
    } else {
        Err(problem("audience", Problem::OutsideScope))
    }
}

/// Whether a version that is not yet published is visible to this publisher: its stored
/// audience lies wholly inside one of their scopes.
fn may_see_open(user: &SessionUser, root: &UnitPath, whole_city: bool, paths: &[UnitPath]) -> bool {
    scope_covers(&publisher_scopes(user), root, whole_city, paths)
}

/// The publisher's list: every circular's newest version, except drafts and submitted
/// versions outside the publisher's scope; counts once published.
pub async fn list_for_publisher(
    db: &Db,
    user: &SessionUser,
    late_joiner_days: i64,
) -> Result<Vec<super::CircularSummary>, AppError> {
    let open = repo::open_version_audiences(db).await?;
    let root = repo::root_path(&mut crate::db::begin_read(db).await?).await?;
    let mut list = repo::list_latest(db).await?;
    list.retain(|c| {
        open.iter()
            .find(|(id, _, _)| *id == c.version_id)
            .is_none_or(|(_, whole, paths)| may_see_open(user, &root, *whole, paths))
    });
    // Counts come from the pre-aggregated table in one grouped query. A version whose counts
    // a rare change made stale is counted in the background and shown as "being counted"
    // (at city scale a recount takes about a second per version; the page does not wait).
    let today = crate::time::today_berlin(Utc::now());
    let mut current = crate::tracking::counts::current_totals(db, today, late_joiner_days).await?;
    let stale: Vec<VersionId> = list
        .iter()
        .filter(|c| c.status.has_counts() && !current.contains_key(&c.version_id.0))
        .map(|c| c.version_id)
        .collect();
    if !stale.is_empty() {
        // Small cities recount within the page's budget; a large one's recount would not
        // fit and continues in the background. (Stopping a recount half-way is safe: the
        // next one starts over.)
        let until = tokio::time::Instant::now() + LIST_RECOUNT_BUDGET;
        for v in stale {
            let recount = crate::tracking::counts::ensure(db, v.0, late_joiner_days);
            match tokio::time::timeout_at(until, recount).await {
                Ok(done) => done?,
                Err(_) => break,
            }
        }
        current = crate::tracking::counts::current_totals(db, today, late_joiner_days).await?;
    }
    for c in &mut list {
        if c.status.has_counts() {
            c.counts = current.get(&c.version_id.0).copied();
            c.counting = c.counts.is_none();
        }
    }
    if list.iter().any(|c| c.counting) {
        crate::tracking::counts::sweep_in_background(db, late_joiner_days);
    }
    Ok(list)
}

/// How long the publishers' list recounts stale versions itself before it leaves the rest to
/// the background.
const LIST_RECOUNT_BUDGET: std::time::Duration = std::time::Duration::from_millis(100);

/// Whether a publisher may see a version: published ones always, drafts and submitted ones
/// only when their stored audience lies wholly inside the publisher's scope.
pub async fn publisher_may_see(
    db: &Db,
    user: &SessionUser,
    id: VersionId,
) -> Result<bool, AppError> {
    let mut tx = crate::db::begin_read(db).await?;
    let Some(meta) = repo::meta(&mut tx, id).await? else {
        return Ok(false);
    };
    if !matches!(meta.status, VersionStatus::Draft | VersionStatus::InReview) {
        return Ok(true);
    }
    let (_, stored) = repo::load_valid(&mut tx, id).await?;
    let units: Vec<_> = stored.audience.iter().map(|(u, _)| *u).collect();
    let paths = repo::unit_paths(&mut tx, &units).await?.unwrap_or_default();
    let root = repo::root_path(&mut tx).await?;
    tx.rollback().await?;
    Ok(may_see_open(user, &root, stored.whole_city, &paths))
}

/// One version for the publisher's pages; a draft or submitted version outside the
/// publisher's scope is not found.
pub async fn view_for_publisher(
    db: &Db,
    user: &SessionUser,
    id: VersionId,
) -> Result<super::VersionView, AppError> {
    if !publisher_may_see(db, user, id).await? {
        return Err(AppError::NotFound);
    }
    repo::load_view(db, id).await?.ok_or(AppError::NotFound)
}

/// Creates a new circular (no version id) or updates a draft.
pub async fn save_draft(
    db: &Db,
    user: &SessionUser,
    version: Option<VersionId>,
    mut c: ValidCircular,
) -> Result<VersionId, AppError> {
    if let Err(p) = super::markdown::check(&c.body_md) {
        return Err(problem("body_md", p));
    }
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    let id = match version {
        None => {
            check_scope(&mut tx, user, &c).await?;
            if repo::number_taken(&mut tx, &c.number, None).await? {
                return Err(problem("number", Problem::DuplicateNumber));
            }
            let circular =
                repo::insert_circular(&mut tx, &c.number, c.retention_days, user.id, now).await?;
            let id =
                repo::insert_version(&mut tx, circular, 1, &c, ChangeKind::Initial, user.id, now)
                    .await?;
            repo::record_editor(&mut tx, id, user.id, now).await?;
            audit(
                &mut tx,
                Some(user.id),
                "circular.create",
                &format!("version:{}", id.0),
                json!({"number": c.number}),
                now,
            )
            .await?;
            id
        }
        Some(id) => {
            let meta = repo::meta(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            next_status(meta.status, WorkflowAction::Edit).map_err(|p| problem("status", p))?;
            // The scope check on the stored audience comes first: whoever may not see the
            // draft may not learn anything about it or change it.
            let (_, stored) = repo::load_valid(&mut tx, id).await?;
            check_scope(&mut tx, user, &stored).await?;
            check_scope(&mut tx, user, &c).await?;
            if meta.version_no != 1 {
                // Number and retention belong to the circular, fixed after its first version.
                c.number = stored.number.clone();
                c.retention_days = stored.retention_days;
            }
            let changed = changed_fields(&stored, &c);
            if meta.version_no == 1 {
                if repo::number_taken(&mut tx, &c.number, Some(meta.circular_id)).await? {
                    return Err(problem("number", Problem::DuplicateNumber));
                }
                repo::set_number_and_retention(
                    &mut tx,
                    meta.circular_id,
                    &c.number,
                    c.retention_days,
                )
                .await?;
            }
            if !changed.is_empty() {
                repo::update_version(&mut tx, id, &c, now).await?;
                repo::record_editor(&mut tx, id, user.id, now).await?;
                audit(
                    &mut tx,
                    Some(user.id),
                    "circular.edit",
                    &format!("version:{}", id.0),
                    json!({"fields": changed, "was": meta.status.as_str()}),
                    now,
                )
                .await?;
            }
            id
        }
    };
    tx.commit().await?;
    Ok(id)
}

/// Moves a version through the workflow. Publishing checks four eyes and the dates again,
/// freezes the rendered text and app list, and stores their SHA-256.
pub async fn transition(
    db: &Db,
    user: &SessionUser,
    id: VersionId,
    action: WorkflowAction,
) -> Result<VersionStatus, AppError> {
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    let meta = repo::meta(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let status = next_status(meta.status, action).map_err(|p| problem("status", p))?;
    let (_, c) = repo::load_valid(&mut tx, id).await?;
    check_scope(&mut tx, user, &c).await?;
    match action {
        WorkflowAction::Publish => {
            let editors = repo::editors(&mut tx, id).await?;
            check_four_eyes(meta.author_id, &editors, user.id).map_err(|p| problem("status", p))?;
            publish(&mut tx, id, &meta, &c, user, now).await?;
        }
        _ => repo::set_status(&mut tx, id, status, now).await?,
    }
    let name = match action {
        WorkflowAction::Submit => "circular.submit",
        WorkflowAction::ReturnToDraft => "circular.return",
        WorkflowAction::Publish => "circular.publish",
        WorkflowAction::Withdraw => "circular.withdraw",
        WorkflowAction::Edit => "circular.edit",
    };
    audit(
        &mut tx,
        Some(user.id),
        name,
        &format!("version:{}", id.0),
        json!({"number": c.number}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(status)
}

async fn publish(
    tx: &mut Tx,
    id: VersionId,
    meta: &repo::VersionMeta,
    c: &ValidCircular,
    approver: &SessionUser,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let today: NaiveDate = crate::time::today_berlin(now);
    if c.effective_on < today {
        return Err(problem("effective_on", Problem::DateInPast));
    }
    if c.ack_deadline < today {
        return Err(problem("ack_deadline", Problem::DeadlineBeforePublication));
    }
    let body_html = super::markdown::render(&c.body_md);
    let mut apps: Vec<&ProhibitedApp> = c.apps.iter().collect();
    apps.sort_by(|a, b| {
        (a.platform.as_str(), &a.app_identifier).cmp(&(b.platform.as_str(), &b.app_identifier))
    });
    let sha = content_sha256(&HashedContent {
        number: &c.number,
        version_no: meta.version_no,
        title: &c.title,
        summary: &c.summary,
        body_html: &body_html,
        effective_on: c.effective_on.to_string(),
        ack_deadline: c.ack_deadline.to_string(),
        apps,
        attachments: repo::attachments(&mut **tx, id)
            .await?
            .into_iter()
            .map(|a| (a.filename, a.sha256))
            .collect(),
    });
    let kind = meta.change_kind;
    let basis = ack_basis(
        kind,
        meta.version_no,
        repo::published_basis(tx, meta.circular_id).await?,
    );
    repo::publish(
        tx,
        &repo::Publication {
            id,
            circular: meta.circular_id,
            body_html: &body_html,
            sha256: &sha,
            ack_basis_no: basis,
            approver: approver.id,
            at: now,
        },
    )
    .await?;
    Ok(())
}

/// Starts a new version (material or editorial) as a draft copy of a published one.
pub async fn new_version(
    db: &Db,
    user: &SessionUser,
    from: VersionId,
    kind: ChangeKind,
) -> Result<VersionId, AppError> {
    if kind == ChangeKind::Initial {
        return Err(problem("change_kind", Problem::WrongStatus));
    }
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    let meta = repo::meta(&mut tx, from).await?.ok_or(AppError::NotFound)?;
    if meta.status != VersionStatus::Published
        || repo::has_open_version(&mut tx, meta.circular_id).await?
    {
        return Err(problem("status", Problem::WrongStatus));
    }
    let (_, mut c) = repo::load_valid(&mut tx, from).await?;
    check_scope(&mut tx, user, &c).await?;
    // Dates of the copy may already be past; the editor shows the problem before publishing.
    let today = crate::time::today_berlin(now);
    c.effective_on = c.effective_on.max(today);
    c.ack_deadline = c.ack_deadline.max(today);
    let no = repo::max_version_no(&mut tx, meta.circular_id).await? + 1;
    let id = repo::insert_version(&mut tx, meta.circular_id, no, &c, kind, user.id, now).await?;
    repo::record_editor(&mut tx, id, user.id, now).await?;
    audit(
        &mut tx,
        Some(user.id),
        "circular.new_version",
        &format!("version:{}", id.0),
        json!({"from": from, "kind": kind.as_str()}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds a PDF to a draft version.
pub async fn attach(
    db: &Db,
    user: &SessionUser,
    version: VersionId,
    filename: &str,
    data: &[u8],
) -> Result<i64, AppError> {
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    let meta = repo::meta(&mut tx, version)
        .await?
        .ok_or(AppError::NotFound)?;
    next_status(meta.status, WorkflowAction::Edit).map_err(|p| problem("file", p))?;
    let (_, c) = repo::load_valid(&mut tx, version).await?;
    check_scope(&mut tx, user, &c).await?;
    let id = repo::insert_attachment(&mut tx, version, filename, data, user.id, now).await?;
    // An attachment is content: its uploader joins the editors, and a submitted version
    // goes back to draft.
    repo::record_editor(&mut tx, version, user.id, now).await?;
    repo::back_to_draft(&mut tx, version, now).await?;
    audit(
        &mut tx,
        Some(user.id),
        "circular.attach",
        &format!("version:{}", version.0),
        json!({"file": filename, "bytes": data.len()}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes an attachment from a draft version.
pub async fn detach(db: &Db, user: &SessionUser, id: i64) -> Result<(), AppError> {
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    let (version, status) = repo::attachment_owner(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    next_status(status, WorkflowAction::Edit).map_err(|p| problem("file", p))?;
    let (_, c) = repo::load_valid(&mut tx, version).await?;
    check_scope(&mut tx, user, &c).await?;
    repo::delete_attachment(&mut tx, id).await?;
    repo::record_editor(&mut tx, version, user.id, now).await?;
    repo::back_to_draft(&mut tx, version, now).await?;
    audit(
        &mut tx,
        Some(user.id),
        "circular.detach",
        &format!("version:{}", version.0),
        json!({"attachment": id}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Counts for a version, or `None` while it is not published.
pub async fn counts_if_published(
    db: &Db,
    id: VersionId,
    status: VersionStatus,
    late_joiner_days: i64,
) -> Result<Option<super::AckCounts>, AppError> {
    if status.has_counts() {
        Ok(Some(
            crate::tracking::counts::totals(
                db,
                id.0,
                crate::time::today_berlin(Utc::now()),
                late_joiner_days,
            )
            .await?,
        ))
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circulars::AppPlatform;

    #[test]
    fn the_content_hash_changes_with_any_shown_detail() {
        let app = ProhibitedApp {
            platform: AppPlatform::Android,
            app_identifier: "com.whatsapp".into(),
            display_name: "WhatsApp".into(),
        };
        let content = |body: &'static str, attachment: &str| HashedContent {
            number: "RS 1",
            version_no: 1,
            title: "T",
            summary: "S",
            body_html: body,
            effective_on: "2026-12-01".into(),
            ack_deadline: "2026-11-30".into(),
            apps: vec![&app],
            attachments: vec![("a.pdf".into(), attachment.into())],
        };
        let h = content_sha256(&content("<p>x</p>", "aa"));
        assert_eq!(h.len(), 64);
        assert_eq!(h, content_sha256(&content("<p>x</p>", "aa")));
        assert_ne!(h, content_sha256(&content("<p>y</p>", "aa")));
        assert_ne!(h, content_sha256(&content("<p>x</p>", "bb")));
    }
}
