//! CSV import of org units and users (admin upload form and `server import-org FILE`).
//!
//! All or nothing: every row is parsed and checked, then all rows are applied inside one
//! write transaction, which is rolled back if any row failed — so the database checks
//! (codes taken, units missing, cycles) are the same ones the forms use, and a file with one
//! bad row writes nothing. Every bad row is reported with its line number and reason.
use super::rules::{self, Problems, ValidUnit, ValidUser};
use super::{service, ImportOutcome, OrgUnitId, RowError, UnitKind, UserId};
use crate::auth::rules::check_role_scope;
use crate::auth::Role;
use crate::db::{begin_write, Db};
use crate::error::AppError;
use crate::i18n::{Locale, Problem};
use chrono::Utc;
use std::collections::{HashMap, HashSet};

pub const UNIT_HEADER: [&str; 4] = ["code", "name", "kind", "parent_code"];
pub const USER_HEADER: [&str; 6] = [
    "email",
    "display_name",
    "personnel_no",
    "unit_code",
    "locale",
    "roles",
];
/// Upper bound on rows per file; bigger files are split (or use the CLI several times).
pub const MAX_ROWS: usize = 200_000;

#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    pub line: usize,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub line: usize,
    pub email: String,
    pub display_name: String,
    pub personnel_no: Option<String>,
    pub unit_code: String,
    pub locale: Locale,
    /// Roles as (role, scope unit code).
    pub roles: Vec<(Role, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Units(Vec<UnitRow>),
    Users(Vec<UserRow>),
}

impl Parsed {
    /// How many rows the file holds.
    pub fn row_count(&self) -> usize {
        match self {
            Parsed::Units(rows) => rows.len(),
            Parsed::Users(rows) => rows.len(),
        }
    }
}

fn row_error(line: usize, field: &str, problem: Problem) -> RowError {
    RowError {
        line,
        field: field.to_owned(),
        problem,
    }
}

/// Parses "employee;head@FB11;admin" into role grants (scope by unit code).
pub fn parse_roles(raw: &str) -> Result<Vec<(Role, Option<String>)>, Problem> {
    let mut out = vec![];
    for part in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (role, scope) = match part.split_once('@') {
            Some((r, s)) => (r, Some(s.trim().to_owned())),
            None => (part, None),
        };
        let role = Role::parse(role).ok_or(Problem::UnknownRole)?;
        check_role_scope(role, scope.is_some())?;
        out.push((role, scope));
    }
    Ok(out)
}

/// Parses the file and checks each row on its own and against the other rows (pure).
pub fn parse(bytes: &[u8]) -> Result<Parsed, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect(),
        Err(_) => return Err(vec![row_error(1, "header", Problem::BadCsvHeader)]),
    };
    let is_units = header == UNIT_HEADER;
    let is_users = header == USER_HEADER;
    if !is_units && !is_users {
        return Err(vec![row_error(1, "file", Problem::BadCsvHeader)]);
    }
    let mut errors = vec![];
    let mut units = vec![];
    let mut users = vec![];
    let mut seen: HashSet<String> = HashSet::new();
    let mut seen_pno: HashSet<String> = HashSet::new();
    for (index, record) in reader.records().enumerate() {
        let fallback_line = index + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| p.line() as usize)
                    .unwrap_or(fallback_line);
                errors.push(row_error(line, "file", Problem::MalformedRow));
                continue;
            }
        };
        let line = record
            .position()
            .map(|p| p.line() as usize)
            .unwrap_or(fallback_line);
        if index >= MAX_ROWS {
            errors.push(row_error(line, "file", Problem::TooLong(MAX_ROWS)));
            break;
        }
        let mut problems: Problems = vec![];
        if is_units {
            let code = rules::parse_code(&record[0])
                .map_err(|p| problems.push(("code", p)))
                .ok();
            let name = rules::parse_name(&record[1])
                .map_err(|p| problems.push(("name", p)))
                .ok();
            let kind = UnitKind::parse(&record[2])
                .ok_or(Problem::UnknownKind)
                .map_err(|p| problems.push(("kind", p)))
                .ok();
            let parent = if record[3].is_empty() {
                Ok(None)
            } else {
                rules::parse_code(&record[3]).map(Some)
            };
            let parent = parent.map_err(|p| problems.push(("parent_code", p))).ok();
            if let Some(code) = &code {
                if !seen.insert(code.clone()) {
                    problems.push(("code", Problem::DuplicateInFile));
                }
            }
            if let (Some(code), Some(name), Some(kind), Some(parent_code), true) =
                (code, name, kind, parent, problems.is_empty())
            {
                units.push(UnitRow {
                    line,
                    code,
                    name,
                    kind,
                    parent_code,
                });
            }
        } else {
            let email = rules::parse_email(&record[0])
                .map_err(|p| problems.push(("email", p)))
                .ok();
            let name = rules::parse_name(&record[1])
                .map_err(|p| problems.push(("display_name", p)))
                .ok();
            let pno = rules::parse_personnel_no(&record[2])
                .map_err(|p| problems.push(("personnel_no", p)))
                .ok();
            let unit = rules::parse_code(&record[3])
                .map_err(|p| problems.push(("unit_code", p)))
                .ok();
            let loc = if record[4].is_empty() {
                Some(Locale::De)
            } else {
                Locale::parse(&record[4])
            };
            let loc = loc
                .ok_or(Problem::UnknownLocale)
                .map_err(|p| problems.push(("locale", p)))
                .ok();
            let roles = parse_roles(&record[5])
                .map_err(|p| problems.push(("roles", p)))
                .ok();
            if let Some(email) = &email {
                if !seen.insert(email.clone()) {
                    problems.push(("email", Problem::DuplicateInFile));
                }
            }
            if let Some(Some(p)) = &pno {
                if !seen_pno.insert(p.clone()) {
                    problems.push(("personnel_no", Problem::DuplicateInFile));
                }
            }
            if let (
                Some(email),
                Some(display_name),
                Some(personnel_no),
                Some(unit_code),
                Some(locale),
                Some(roles),
                true,
            ) = (email, name, pno, unit, loc, roles, problems.is_empty())
            {
                users.push(UserRow {
                    line,
                    email,
                    display_name,
                    personnel_no,
                    unit_code,
                    locale,
                    roles,
                });
            }
        }
        errors.extend(problems.into_iter().map(|(f, p)| row_error(line, f, p)));
    }
    if errors.is_empty() && units.is_empty() && users.is_empty() {
        errors.push(row_error(1, "file", Problem::EmptyFile));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(if is_units {
        Parsed::Units(order_units(units))
    } else {
        Parsed::Users(users)
    })
}

/// Orders unit rows so that a parent defined in the file comes before its children. Rows in
/// a cycle keep their place; applying them then fails with the tree's own cycle check.
pub fn order_units(rows: Vec<UnitRow>) -> Vec<UnitRow> {
    let in_file: HashSet<String> = rows.iter().map(|r| r.code.clone()).collect();
    let mut placed: HashSet<String> = HashSet::new();
    let mut pending = rows;
    let mut ordered = Vec::with_capacity(pending.len());
    loop {
        let before = pending.len();
        let (ready, rest): (Vec<_>, Vec<_>) =
            pending.into_iter().partition(|r| match &r.parent_code {
                Some(p) => !in_file.contains(p) || placed.contains(p),
                None => true,
            });
        placed.extend(ready.iter().map(|r| r.code.clone()));
        ordered.extend(ready);
        pending = rest;
        if pending.is_empty() || pending.len() == before {
            ordered.extend(pending);
            return ordered;
        }
    }
}

async fn cached_unit(
    tx: &mut crate::db::Tx,
    cache: &mut HashMap<String, Option<OrgUnitId>>,
    code: &str,
) -> Result<Option<OrgUnitId>, sqlx::Error> {
    if let Some(hit) = cache.get(code) {
        return Ok(*hit);
    }
    let id = super::repo::unit_by_code(tx, code).await?.map(|(id, _)| id);
    cache.insert(code.to_owned(), id);
    Ok(id)
}

/// Parses, checks and applies a file. `actor` is `None` for the CLI.
pub async fn import(
    db: &Db,
    actor: Option<UserId>,
    bytes: &[u8],
) -> Result<ImportOutcome, AppError> {
    let parsed = match parse(bytes) {
        Ok(p) => p,
        Err(errors) => return Ok(ImportOutcome::Rejected(errors)),
    };
    let now = Utc::now();
    let mut tx = begin_write(db).await?;
    let bulk = parsed.row_count() > crate::tracking::counts::BULK_ROWS;
    if bulk {
        crate::tracking::counts::suspend_deltas(&mut tx).await?;
    }
    let mut errors = vec![];
    let (mut created, mut updated) = (0, 0);
    // A validation error of one row, as rows of the rejection list.
    let rows_of = |line: usize, fields: Vec<crate::error::FieldError>| {
        fields
            .into_iter()
            .map(move |f| row_error(line, &f.field, f.problem))
    };
    match parsed {
        Parsed::Units(rows) => {
            for row in rows {
                let existing = super::repo::unit_by_code(&mut tx, &row.code)
                    .await?
                    .map(|(id, _)| id);
                let parent_id = match &row.parent_code {
                    Some(code) => match super::repo::unit_by_code(&mut tx, code).await? {
                        Some((id, _)) => Some(id),
                        None => {
                            errors.push(row_error(row.line, "parent_code", Problem::UnknownUnit));
                            continue;
                        }
                    },
                    None => None,
                };
                let unit = ValidUnit {
                    id: existing,
                    code: row.code,
                    name: row.name,
                    kind: row.kind,
                    parent_id,
                };
                match service::save_unit_in(&mut tx, actor, &unit, now).await {
                    Ok(_) if existing.is_some() => updated += 1,
                    Ok(_) => created += 1,
                    Err(AppError::Validation(v)) => errors.extend(rows_of(row.line, v)),
                    Err(other) => return Err(other),
                }
            }
        }
        Parsed::Users(rows) => {
            let mut unit_ids: HashMap<String, Option<OrgUnitId>> = HashMap::new();
            for row in rows {
                let Some(org_unit_id) = cached_unit(&mut tx, &mut unit_ids, &row.unit_code).await?
                else {
                    errors.push(row_error(row.line, "unit_code", Problem::UnknownUnit));
                    continue;
                };
                let mut scopes = vec![];
                for (role, scope_code) in &row.roles {
                    let scope = match scope_code {
                        Some(code) => match cached_unit(&mut tx, &mut unit_ids, code).await? {
                            Some(id) => Some(id),
                            None => {
                                errors.push(row_error(row.line, "roles", Problem::UnknownUnit));
                                continue;
                            }
                        },
                        None => None,
                    };
                    scopes.push((*role, scope));
                }
                let existing = super::repo::find_login_in(&mut tx, &row.email).await?;
                let user = ValidUser {
                    id: existing,
                    email: row.email,
                    display_name: row.display_name,
                    personnel_no: row.personnel_no,
                    org_unit_id,
                    locale: row.locale,
                    password: None,
                };
                match service::save_user_in(&mut tx, actor, &user, None, now).await {
                    Ok(id) => {
                        if existing.is_some() {
                            updated += 1;
                            if !scopes.is_empty() {
                                super::repo::clear_roles(&mut tx, id).await?;
                                super::repo::add_role(
                                    &mut tx,
                                    id,
                                    Role::Employee,
                                    None,
                                    actor,
                                    now,
                                )
                                .await?;
                            }
                        } else {
                            created += 1;
                        }
                        for (role, scope) in scopes {
                            super::repo::add_role(&mut tx, id, role, scope, actor, now).await?;
                        }
                    }
                    Err(AppError::Validation(v)) => errors.extend(rows_of(row.line, v)),
                    Err(other) => return Err(other),
                }
            }
        }
    }
    // Replaced roles must leave the portal with an administrator (a deployment's first
    // import, before any admin exists, is the CLI's and creates none to lose).
    if errors.is_empty() && super::repo::active_admin_count(&mut tx).await? == 0 && actor.is_some()
    {
        errors.push(row_error(1, "roles", Problem::LastAdmin));
    }
    if !errors.is_empty() {
        tx.rollback().await?;
        errors.sort_by_key(|e| e.line);
        return Ok(ImportOutcome::Rejected(errors));
    }
    super::repo::audit(
        &mut tx,
        actor,
        "org.import",
        "org",
        serde_json::json!({"created": created, "updated": updated}),
        now,
    )
    .await?;
    if bulk {
        crate::tracking::counts::resume_deltas(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(ImportOutcome::Imported { created, updated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let csv = "code,name,kind,parent_code\nSTADT,Stadt,city,\nD1,,dezernat,STADT\nD2,Dezernat 2,castle,STADT\nD1,Again,dezernat,STADT\n";
        let errors = parse(csv.as_bytes()).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert_eq!(errors[0].field, "name");
        assert_eq!(errors[2].problem, Problem::DuplicateInFile);
        assert!(errors[2]
            .problem
            .message(Locale::En)
            .contains("more than once"));
    }

    #[test]
    fn a_row_with_the_wrong_number_of_columns_is_malformed() {
        let csv = "code,name,kind,parent_code\nSTADT,Stadt,city,\nD1,Dezernat 1\n";
        let errors = parse(csv.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
    }

    #[test]
    fn unknown_header_and_empty_file_are_refused() {
        assert_eq!(parse(b"foo,bar\n1,2\n").unwrap_err()[0].line, 1);
        assert_eq!(
            parse(b"code,name,kind,parent_code\n").unwrap_err()[0].problem,
            Problem::EmptyFile
        );
    }

    #[test]
    fn parents_defined_later_in_the_file_are_created_first() {
        let csv = "code,name,kind,parent_code\nA1,Amt,amt,FB1\nFB1,FB,fachbereich,D1\nD1,Dez,dezernat,STADT\n";
        let Parsed::Units(rows) = parse(csv.as_bytes()).unwrap() else {
            panic!()
        };
        let order: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(order, vec!["D1", "FB1", "A1"]);
    }

    #[test]
    fn user_roles_are_parsed_with_scopes() {
        assert_eq!(
            parse_roles("employee; head@FB11").unwrap(),
            vec![(Role::Employee, None), (Role::Head, Some("FB11".into()))]
        );
        assert_eq!(parse_roles("head"), Err(Problem::ScopeRequired));
        assert_eq!(parse_roles("king"), Err(Problem::UnknownRole));
    }
}
