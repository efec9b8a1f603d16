//! Pure rules of tracking: who may see which part of the tree, name visibility, the remark
//! of a paper acknowledgment, and the numbers of the roll-up (percentages, bar widths).
use super::NamesPolicy;
use crate::auth::{Role, SessionUser};
use crate::org::UnitPath;

/// Subtrees a user may track: publishers and admins the whole city (`root`), heads the
/// subtrees they head, everybody else nothing.
pub fn tracking_scopes(user: &SessionUser, root: &UnitPath) -> Vec<UnitPath> {
    if user.has_role(Role::Publisher) || user.is_admin() {
        return vec![root.clone()];
    }
    head_scopes(user)
}

/// Subtrees a user heads. Only heads record paper acknowledgments on behalf of their staff;
/// the city-wide roles track but do not act for people.
pub fn head_scopes(user: &SessionUser) -> Vec<UnitPath> {
    user.roles
        .iter()
        .filter(|g| g.role == Role::Head)
        .filter_map(|g| g.scope_path.clone())
        .collect()
}

/// Whether a head sees the name of an open person.
pub fn name_visible(policy: NamesPolicy, overdue: bool) -> bool {
    match policy {
        NamesPolicy::All => true,
        NamesPolicy::OverdueOnly => overdue,
        NamesPolicy::None => false,
    }
}

pub fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        100
    } else {
        (part * 100) / whole
    }
}

/// Width in pixels of a bar in the SVG chart.
pub fn bar_width(part: i64, whole: i64, full: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        (part * full) / whole
    }
}

/// Longest remark on a paper acknowledgment, in characters.
pub const MAX_REMARK: usize = 500;

/// The remark a head gives for a paper acknowledgment: mandatory, at most [`MAX_REMARK`]
/// characters, trimmed.
pub fn parse_remark(raw: &str) -> Result<String, crate::i18n::Problem> {
    let remark = raw.trim();
    if remark.is_empty() {
        return Err(crate::i18n::Problem::Required);
    }
    if remark.chars().count() > MAX_REMARK {
        return Err(crate::i18n::Problem::TooLong(MAX_REMARK));
    }
    Ok(remark.to_owned())
}

/// Ranges of unit ids `(lo, hi]` for a chunked recount: consecutive units (`people`: unit id
/// and head count, ascending ids) together until a range holds `max` people; a larger unit
/// gets a range of its own. The ranges cover every id, also of units created meanwhile.
pub fn unit_chunks(people: &[(i64, i64)], max: i64) -> Vec<(i64, i64)> {
    let mut chunks = vec![];
    let mut lo = i64::MIN;
    let mut n = 0;
    for (i, &(unit, count)) in people.iter().enumerate() {
        n += count;
        let next = people.get(i + 1).map_or(0, |p| p.1);
        if n + next > max && i + 1 < people.len() {
            chunks.push((lo, unit));
            lo = unit;
            n = 0;
        }
    }
    chunks.push((lo, i64::MAX));
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::RoleGrant;
    use crate::org::{OrgUnitId, UserId};

    fn user(roles: &[(Role, Option<&str>)]) -> SessionUser {
        SessionUser {
            id: UserId(1),
            display_name: "X".into(),
            email: "x@y.de".into(),
            roles: roles
                .iter()
                .map(|(r, p)| RoleGrant {
                    role: *r,
                    scope_unit_id: p.map(|_| OrgUnitId(9)),
                    scope_path: p.and_then(UnitPath::parse),
                    scope_name: None,
                })
                .collect(),
            admin_awaits_second_factor: false,
        }
    }

    #[test]
    fn heads_track_their_subtrees_publishers_and_admins_the_city() {
        let p = |s: &str| UnitPath::parse(s).unwrap();
        let root = p("/1/");
        assert_eq!(
            tracking_scopes(&user(&[(Role::Head, Some("/1/4/"))]), &root),
            vec![p("/1/4/")]
        );
        assert_eq!(
            tracking_scopes(&user(&[(Role::Admin, None)]), &root),
            vec![root.clone()]
        );
        assert!(tracking_scopes(&user(&[(Role::Employee, None)]), &root).is_empty());
        assert!(
            head_scopes(&user(&[(Role::Admin, None)])).is_empty(),
            "admins track but do not act on behalf"
        );
    }

    #[test]
    fn names_follow_the_privacy_setting() {
        assert!(name_visible(NamesPolicy::OverdueOnly, true));
        assert!(!name_visible(NamesPolicy::OverdueOnly, false));
        assert!(!name_visible(NamesPolicy::None, true));
        assert!(name_visible(NamesPolicy::All, false));
    }

    #[test]
    fn a_remark_is_required_and_limited() {
        use crate::i18n::Problem;
        assert_eq!(parse_remark("  Papier  "), Ok("Papier".into()));
        assert_eq!(parse_remark("   "), Err(Problem::Required));
        assert_eq!(parse_remark(&"ä".repeat(500)), Ok("ä".repeat(500)));
        assert_eq!(parse_remark(&"ä".repeat(501)), Err(Problem::TooLong(500)));
    }

    #[test]
    fn percentages_and_bars_never_divide_by_zero() {
        assert_eq!(percent(0, 0), 100);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(bar_width(5, 10, 200), 100);
        assert_eq!(bar_width(5, 0, 200), 0);
    }

    #[test]
    fn unit_chunks_cover_every_id_and_hold_about_max_people() {
        assert_eq!(unit_chunks(&[], 500), vec![(i64::MIN, i64::MAX)]);
        assert_eq!(
            unit_chunks(&[(1, 200), (2, 200), (3, 200), (7, 900), (9, 10)], 500),
            vec![(i64::MIN, 2), (2, 3), (3, 7), (7, i64::MAX)]
        );
        assert_eq!(
            unit_chunks(&[(1, 100), (2, 100)], 500),
            vec![(i64::MIN, i64::MAX)]
        );
    }
}
