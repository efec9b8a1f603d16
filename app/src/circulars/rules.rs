//! Pure rules of circulars: input parsing, the workflow state machine, four eyes, publisher
//! scope, which acknowledgment counts for a version, and personal deadlines.
use super::{AppPlatform, ChangeKind, CircularForm, ProhibitedApp, VersionStatus};
use crate::i18n::Problem;
use crate::org::rules::Problems;
use crate::org::{OrgUnitId, UnitPath, UserId};
use chrono::NaiveDate;

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 1_000;
pub const BODY_MAX: usize = 100_000;
pub const NUMBER_MAX: usize = 30;

#[derive(Debug, Clone, PartialEq)]
pub struct ValidCircular {
    pub number: String,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub effective_on: NaiveDate,
    pub ack_deadline: NaiveDate,
    pub whole_city: bool,
    /// (unit, include subunits)
    pub audience: Vec<(OrgUnitId, bool)>,
    pub apps: Vec<ProhibitedApp>,
    /// Days after publication until acknowledgments are pseudonymised.
    pub retention_days: i64,
}

pub const RETENTION_YEARS_DEFAULT: i64 = 10;

/// Retention in whole years, 1 to 30 (empty means the default).
pub fn parse_retention_years(raw: &str) -> Result<i64, Problem> {
    match raw.trim() {
        "" => Ok(RETENTION_YEARS_DEFAULT),
        s => match s.parse::<i64>() {
            Ok(y) if (1..=30).contains(&y) => Ok(y),
            _ => Err(Problem::InvalidRetention),
        },
    }
}

pub fn parse_number(raw: &str) -> Result<String, Problem> {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        Err(Problem::Required)
    } else if s.chars().count() > NUMBER_MAX {
        Err(Problem::TooLong(NUMBER_MAX))
    } else if !s
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '/' | '-' | '.'))
    {
        Err(Problem::InvalidNumber)
    } else {
        Ok(s)
    }
}

fn parse_text(raw: &str, max: usize) -> Result<String, Problem> {
    let s = raw.trim().replace("\r\n", "\n");
    if s.is_empty() {
        Err(Problem::Required)
    } else if s.chars().count() > max {
        Err(Problem::TooLong(max))
    } else {
        Ok(s)
    }
}

pub fn parse_date(raw: &str) -> Result<NaiveDate, Problem> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Problem::Required);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .map_err(|_| Problem::InvalidDate)
}

/// Is `id` a plausible app identifier for `platform`? Android package names and iOS bundle
/// ids are reverse-DNS with at least two segments; Windows/macOS ids allow `_` and `!` too.
pub fn valid_app_identifier(platform: AppPlatform, id: &str) -> bool {
    let segments: Vec<&str> = id.split('.').collect();
    if id.len() > 200 || segments.len() < 2 || segments.iter().any(|s| s.is_empty()) {
        return false;
    }
    match platform {
        AppPlatform::Android => segments.iter().all(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }),
        AppPlatform::Ios | AppPlatform::Macos => segments
            .iter()
            .all(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')),
        AppPlatform::Windows => segments.iter().all(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '!'))
        }),
    }
}

/// Parses the app list, one `platform; identifier; display name` per line.
pub fn parse_apps(raw: &str) -> Result<Vec<ProhibitedApp>, Problem> {
    let mut apps: Vec<ProhibitedApp> = vec![];
    for (i, line) in raw.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split(';').map(str::trim).collect();
        let bad = Problem::InvalidApp(i + 1);
        let [platform, id, name] = parts[..] else {
            return Err(bad);
        };
        let platform = AppPlatform::parse(platform).ok_or_else(|| bad.clone())?;
        if !valid_app_identifier(platform, id) || name.is_empty() || name.chars().count() > 100 {
            return Err(bad);
        }
        // Identifiers are matched case-insensitively (see `AppId`), so `com.WhatsApp` and
        // `com.whatsapp` are the same app.
        let app = crate::compliance::AppId::normalise(id);
        if !apps.iter().any(|a| {
            a.platform == platform && crate::compliance::AppId::normalise(&a.app_identifier) == app
        }) {
            apps.push(ProhibitedApp {
                platform,
                app_identifier: id.to_owned(),
                display_name: name.to_owned(),
            });
        }
    }
    Ok(apps)
}

/// The app list as the editor shows it (inverse of `parse_apps`).
pub fn format_apps(apps: &[ProhibitedApp]) -> String {
    apps.iter()
        .map(|a| {
            format!(
                "{}; {}; {}",
                a.platform.as_str(),
                a.app_identifier,
                a.display_name
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_ids(raw: &[String]) -> Result<Vec<OrgUnitId>, Problem> {
    raw.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse()
                .map(OrgUnitId)
                .map_err(|_| Problem::UnknownUnit)
        })
        .collect()
}

/// Parses the editor form. `today` is the calendar day in Europe/Berlin.
pub fn parse_circular(form: &CircularForm, today: NaiveDate) -> Result<ValidCircular, Problems> {
    let mut problems = Problems::new();
    let number = parse_number(&form.number)
        .map_err(|p| problems.push(("number", p)))
        .ok();
    let title = parse_text(&form.title, TITLE_MAX)
        .map_err(|p| problems.push(("title", p)))
        .ok();
    let summary = parse_text(&form.summary, SUMMARY_MAX)
        .map_err(|p| problems.push(("summary", p)))
        .ok();
    let body_md = parse_text(&form.body_md, BODY_MAX)
        .map_err(|p| problems.push(("body_md", p)))
        .ok();
    let effective_on = parse_date(&form.effective_on)
        .map_err(|p| problems.push(("effective_on", p)))
        .ok();
    let ack_deadline = parse_date(&form.ack_deadline)
        .map_err(|p| problems.push(("ack_deadline", p)))
        .ok();
    if let Some(d) = effective_on {
        if d < today {
            problems.push(("effective_on", Problem::DateInPast));
        }
    }
    if let Some(d) = ack_deadline {
        if d < today {
            problems.push(("ack_deadline", Problem::DeadlineBeforePublication));
        }
    }
    let whole_city = matches!(form.whole_city.as_str(), "on" | "true" | "1");
    let subtree = parse_ids(&form.audience_subtree)
        .map_err(|p| problems.push(("audience", p)))
        .unwrap_or_default();
    let exact = parse_ids(&form.audience_unit)
        .map_err(|p| problems.push(("audience", p)))
        .unwrap_or_default();
    let mut audience: Vec<(OrgUnitId, bool)> = subtree.into_iter().map(|u| (u, true)).collect();
    for u in exact {
        if !audience.iter().any(|(a, _)| *a == u) {
            audience.push((u, false));
        }
    }
    if !whole_city && audience.is_empty() {
        problems.push(("audience", Problem::AudienceEmpty));
    }
    let apps = parse_apps(&form.apps)
        .map_err(|p| problems.push(("apps", p)))
        .ok();
    let years = parse_retention_years(&form.retention_years)
        .map_err(|p| problems.push(("retention_years", p)))
        .ok();
    match (
        number,
        title,
        summary,
        body_md,
        effective_on,
        ack_deadline,
        apps,
        years,
    ) {
        (
            Some(number),
            Some(title),
            Some(summary),
            Some(body_md),
            Some(effective_on),
            Some(ack_deadline),
            Some(apps),
            Some(years),
        ) if problems.is_empty() => Ok(ValidCircular {
            number,
            title,
            summary,
            body_md,
            effective_on,
            ack_deadline,
            whole_city,
            audience: if whole_city { vec![] } else { audience },
            apps,
            retention_days: years * 365,
        }),
        _ => Err(problems),
    }
}

/// Checks an uploaded attachment: a PDF (by its magic bytes, not its name) of at most
/// `max_bytes`. Returns the sanitised file name.
pub fn check_attachment(filename: &str, data: &[u8], max_bytes: usize) -> Result<String, Problem> {
    if data.len() > max_bytes {
        return Err(Problem::FileTooLarge(max_bytes / (1024 * 1024)));
    }
    if !data.starts_with(b"%PDF-") {
        return Err(Problem::NotPdf);
    }
    let base = filename.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let clean: String = base
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(120)
        .collect();
    let clean = clean.trim().to_owned();
    if clean.is_empty() || clean.starts_with('.') {
        return Ok("anlage.pdf".into());
    }
    Ok(if clean.to_ascii_lowercase().ends_with(".pdf") {
        clean
    } else {
        format!("{clean}.pdf")
    })
}

/// Workflow actions on a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkflowAction {
    Edit,
    Submit,
    ReturnToDraft,
    Publish,
    Withdraw,
}

/// The state machine: draft → in review → published → withdrawn (or superseded by a newer
/// published version). Only drafts are edited; published text is frozen.
pub fn next_status(
    status: VersionStatus,
    action: WorkflowAction,
) -> Result<VersionStatus, Problem> {
    use VersionStatus::*;
    use WorkflowAction::*;
    match (status, action) {
        (Draft, Edit) => Ok(Draft),
        // A change after submission voids the submission: back to draft, submitted again
        // by someone, approved by someone who did not change it.
        (InReview, Edit) => Ok(Draft),
        (Draft, Submit) => Ok(InReview),
        (InReview, ReturnToDraft) => Ok(Draft),
        (InReview, Publish) => Ok(Published),
        (Published, Withdraw) => Ok(Withdrawn),
        _ => Err(Problem::WrongStatus),
    }
}

/// Four eyes bound to content: the approver must be neither the author nor anyone who
/// changed any part of the version (`editors` always includes the author).
pub fn check_four_eyes(
    author: UserId,
    editors: &[UserId],
    approver: UserId,
) -> Result<(), Problem> {
    if author == approver {
        Err(Problem::OwnApproval)
    } else if editors.contains(&approver) {
        Err(Problem::EditedByApprover)
    } else {
        Ok(())
    }
}

/// The content fields in which `new` differs from `old`, for the audit log of an edit.
pub fn changed_fields(old: &ValidCircular, new: &ValidCircular) -> Vec<&'static str> {
    let mut out = vec![];
    let mut check = |name, differs: bool| {
        if differs {
            out.push(name);
        }
    };
    check("number", old.number != new.number);
    check("title", old.title != new.title);
    check("summary", old.summary != new.summary);
    check("body_md", old.body_md != new.body_md);
    check("effective_on", old.effective_on != new.effective_on);
    check("ack_deadline", old.ack_deadline != new.ack_deadline);
    let mut a = old.audience.clone();
    let mut b = new.audience.clone();
    a.sort();
    b.sort();
    check("audience", old.whole_city != new.whole_city || a != b);
    let sorted = |apps: &[ProhibitedApp]| {
        let mut v: Vec<_> = apps
            .iter()
            .map(|a| {
                (
                    a.platform.as_str(),
                    a.app_identifier.clone(),
                    a.display_name.clone(),
                )
            })
            .collect();
        v.sort();
        v
    };
    check("apps", sorted(&old.apps) != sorted(&new.apps));
    check("retention_years", old.retention_days != new.retention_days);
    out
}

/// Does a publisher with these scope paths cover the audience? The whole city needs a
/// scope at the root.
pub fn scope_covers(
    scope_paths: &[UnitPath],
    root_path: &UnitPath,
    whole_city: bool,
    audience_paths: &[UnitPath],
) -> bool {
    if whole_city {
        return scope_paths.contains(root_path);
    }
    audience_paths.iter().all(|a| a.within(scope_paths))
}

/// From which version number on an acknowledgment counts for a newly published version:
/// material (and initial) versions need a fresh one; editorial versions accept what counted
/// for the version they replace.
pub fn ack_basis(kind: ChangeKind, version_no: i64, previous_basis: Option<i64>) -> i64 {
    match (kind, previous_basis) {
        (ChangeKind::Editorial, Some(prev)) => prev,
        _ => version_no,
    }
}

/// Personal deadline: people who joined an audience unit after publication get
/// `late_joiner_days` from the day they joined, never less than the circular's deadline.
pub fn personal_deadline(
    deadline: NaiveDate,
    published_on: NaiveDate,
    joined_on: NaiveDate,
    late_joiner_days: i64,
) -> NaiveDate {
    if joined_on > published_on {
        deadline.max(joined_on + chrono::Duration::days(late_joiner_days))
    } else {
        deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn form() -> CircularForm {
        CircularForm {
            number: "RS 2026/17".into(),
            title: "Messenger".into(),
            summary: "Kurz".into(),
            body_md: "Text".into(),
            effective_on: "2026-12-15".into(),
            ack_deadline: "2026-12-10".into(),
            whole_city: "on".into(),
            apps: "android; com.whatsapp; WhatsApp\nios; net.whatsapp.WhatsApp; WhatsApp".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_form_parses() {
        let c = parse_circular(&form(), day("2026-11-22")).unwrap();
        assert!(c.whole_city);
        assert_eq!(c.apps.len(), 2);
    }

    #[test]
    fn dates_in_the_past_empty_fields_and_an_empty_audience_are_refused() {
        let f = CircularForm {
            title: " ".into(),
            effective_on: "2026-01-01".into(),
            ack_deadline: "2026-11-01".into(),
            whole_city: "".into(),
            ..form()
        };
        let problems = parse_circular(&f, day("2026-11-22")).unwrap_err();
        assert!(problems.contains(&("title", Problem::Required)));
        assert!(problems.contains(&("effective_on", Problem::DateInPast)));
        assert!(problems.contains(&("ack_deadline", Problem::DeadlineBeforePublication)));
        assert!(problems.contains(&("audience", Problem::AudienceEmpty)));
    }

    #[test]
    fn app_identifiers_are_checked_per_platform() {
        assert!(valid_app_identifier(
            AppPlatform::Android,
            "com.snapchat.android"
        ));
        assert!(!valid_app_identifier(AppPlatform::Android, "com.1whatsapp"));
        assert!(!valid_app_identifier(AppPlatform::Android, "whatsapp"));
        assert!(valid_app_identifier(AppPlatform::Ios, "jp.naver.line"));
        assert!(!valid_app_identifier(AppPlatform::Ios, "net..whatsapp"));
        assert_eq!(
            parse_apps("android; com.whatsapp; WhatsApp\nblackberry; x.y; Z"),
            Err(Problem::InvalidApp(2))
        );
        assert_eq!(
            parse_apps("android com.whatsapp WhatsApp"),
            Err(Problem::InvalidApp(1))
        );
        let apps = parse_apps("android; com.kik.android; Kik\n\n").unwrap();
        assert_eq!(format_apps(&apps), "android; com.kik.android; Kik");
        // The same app in another case is listed once (the engine matches case-insensitively).
        let apps =
            parse_apps("android; com.whatsapp; WhatsApp\nandroid; com.WhatsApp; WA\nios; net.whatsapp.WhatsApp; WhatsApp")
                .unwrap();
        assert_eq!(apps.len(), 2);
    }

    #[test]
    fn the_workflow_only_allows_its_transitions() {
        use VersionStatus::*;
        use WorkflowAction::*;
        assert_eq!(next_status(Draft, Submit), Ok(InReview));
        assert_eq!(next_status(InReview, Publish), Ok(Published));
        assert_eq!(next_status(Published, Withdraw), Ok(Withdrawn));
        assert_eq!(next_status(Published, Edit), Err(Problem::WrongStatus));
        assert_eq!(next_status(InReview, Edit), Ok(Draft));
        assert_eq!(next_status(Draft, Publish), Err(Problem::WrongStatus));
        assert_eq!(next_status(Withdrawn, Publish), Err(Problem::WrongStatus));
    }

    #[test]
    fn attachments_must_be_small_pdfs_and_names_are_cleaned() {
        assert_eq!(
            check_attachment("a.pdf", b"%PDF-1.7 ...", 100),
            Ok("a.pdf".into())
        );
        assert_eq!(
            check_attachment("../../etc/passwd.pdf", b"%PDF-1.4", 100),
            Ok("passwd.pdf".into())
        );
        assert_eq!(
            check_attachment("x.pdf", b"MZ\x90\x00", 100),
            Err(Problem::NotPdf)
        );
        assert_eq!(
            check_attachment("x.pdf", &[b'%'; 3 * 1024 * 1024], 2 * 1024 * 1024),
            Err(Problem::FileTooLarge(2))
        );
        assert_eq!(
            check_attachment("Dienstanweisung <neu>", b"%PDF-", 100),
            Ok("Dienstanweisung neu.pdf".into())
        );
    }

    #[test]
    fn nobody_approves_a_version_they_wrote_or_changed() {
        let editors = [UserId(1), UserId(3)];
        assert_eq!(
            check_four_eyes(UserId(1), &editors, UserId(1)),
            Err(Problem::OwnApproval)
        );
        assert_eq!(
            check_four_eyes(UserId(1), &editors, UserId(3)),
            Err(Problem::EditedByApprover)
        );
        assert!(check_four_eyes(UserId(1), &editors, UserId(2)).is_ok());
    }

    #[test]
    fn the_fields_a_change_touches_are_named() {
        let a = parse_circular(&form(), day("2026-11-22")).unwrap();
        let mut b = a.clone();
        assert!(changed_fields(&a, &b).is_empty());
        b.body_md.push_str(" mehr");
        b.ack_deadline = day("2026-12-11");
        assert_eq!(changed_fields(&a, &b), vec!["body_md", "ack_deadline"]);
    }

    #[test]
    fn publisher_scope_must_cover_every_audience_unit() {
        let p = |s: &str| UnitPath::parse(s).unwrap();
        let (scopes, root) = (vec![p("/1/2/")], p("/1/"));
        assert!(scope_covers(
            &scopes,
            &root,
            false,
            &[p("/1/2/5/"), p("/1/2/")]
        ));
        assert!(!scope_covers(&scopes, &root, false, &[p("/1/3/")]));
        assert!(!scope_covers(&scopes, &root, false, &[p("/1/20/")]));
        assert!(!scope_covers(&scopes, &root, true, &[]));
        assert!(scope_covers(std::slice::from_ref(&root), &root, true, &[]));
    }

    #[test]
    fn editorial_versions_keep_earlier_acknowledgments_material_ones_do_not() {
        assert_eq!(ack_basis(ChangeKind::Initial, 1, None), 1);
        assert_eq!(ack_basis(ChangeKind::Editorial, 2, Some(1)), 1);
        assert_eq!(ack_basis(ChangeKind::Material, 3, Some(1)), 3);
    }

    #[test]
    fn late_joiners_get_their_own_deadline() {
        let d = personal_deadline(day("2026-12-10"), day("2026-11-22"), day("2026-12-05"), 14);
        assert_eq!(d, day("2026-12-19"));
        assert_eq!(
            personal_deadline(day("2026-12-10"), day("2026-11-22"), day("2026-01-01"), 14),
            day("2026-12-10")
        );
    }
}
