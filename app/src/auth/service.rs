//! Second factor: checking a code, setting one up, turning it off and an admin's reset. The
//! rules (codes, steps, recovery codes) are in `second_factor`, the SQL in `repo`.
use super::second_factor::{self as rules, SecondFactorInput};
use super::{repo, AuthMethod, SecondFactorSetup, SecondFactorStatus, SessionUser};
use crate::db::{begin_write, Db};
use crate::error::AppError;
use crate::i18n::Problem;
use crate::org::UserId;
use chrono::{DateTime, Utc};
use serde_json::json;
use tower_sessions::Session;

/// Checks a second-step input of `user` and uses it up: a TOTP code is good once (its step
/// is recorded), a recovery code too. Returns how the person proved it, `None` if it is
/// wrong, expired, used, or the account has no second factor.
pub async fn verify(
    db: &Db,
    user: UserId,
    input: &str,
    now: DateTime<Utc>,
) -> Result<Option<AuthMethod>, AppError> {
    let Some(factor) = repo::second_factor(db, user).await? else {
        return Ok(None);
    };
    match rules::parse_input(input) {
        Some(SecondFactorInput::Code(code)) => {
            let last = factor.totp_last_step.max(0) as u64;
            let Some(step) = rules::matching_step(
                &factor.totp_secret,
                &code,
                rules::step_of(now.timestamp()),
                last,
            ) else {
                return Ok(None);
            };
            Ok(repo::consume_step(db, user, &factor.totp_secret, step)
                .await?
                .then_some(AuthMethod::PasswordTotp))
        }
        Some(SecondFactorInput::Recovery(code)) => {
            // Used up and audited together: a failed audit does not burn the code.
            let mut tx = begin_write(db).await?;
            let used =
                repo::consume_recovery_code(&mut tx, user, &rules::recovery_hash(&code), now)
                    .await?;
            if used {
                crate::org::repo::audit(
                    &mut tx,
                    Some(user),
                    "user.recovery_code_used",
                    &format!("user:{}", user.0),
                    json!({}),
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(used.then_some(AuthMethod::PasswordRecoveryCode))
        }
        None => Ok(None),
    }
}

/// Whether the person must keep a second factor (admins).
pub fn required_for(user: &SessionUser) -> bool {
    user.is_admin() || user.admin_awaits_second_factor
}

/// The person's second factor, and the one this session is setting up (shown again until it
/// is confirmed, so that a mistyped code does not lose the QR code).
pub async fn status(
    db: &Db,
    session: &Session,
    user: &SessionUser,
) -> Result<SecondFactorStatus, AppError> {
    let (since, left) = repo::second_factor_status(db, user.id).await?;
    let pending: Option<String> = session.get(super::session::SETUP_SECRET_KEY).await?;
    Ok(SecondFactorStatus {
        enabled_since: since.map(crate::time::format_berlin),
        recovery_codes_left: if since.is_some() { left } else { 0 },
        required: required_for(user),
        pending: match pending {
            Some(secret) => Some(setup_of(&secret, user)?),
            None => None,
        },
    })
}

/// What the authenticator app needs for `secret`.
fn setup_of(secret: &str, user: &SessionUser) -> Result<SecondFactorSetup, AppError> {
    let uri = rules::otpauth_uri(secret, &user.email);
    let qr_svg = rules::qr_svg(&uri).ok_or(AppError::Internal)?;
    Ok(SecondFactorSetup {
        secret_grouped: rules::grouped(secret),
        otpauth_uri: uri,
        qr_svg,
    })
}

/// Starts setting up a (new) second factor: a fresh secret kept in the server-side session
/// until the person confirms a first code from their app. An existing second factor stays
/// in force until then.
pub async fn begin_setup(
    db: &Db,
    session: &Session,
    user: &SessionUser,
) -> Result<SecondFactorSetup, AppError> {
    may_set_up(db, session, user).await?;
    let secret = rules::new_secret();
    let setup = setup_of(&secret, user)?;
    session
        .insert(super::session::SETUP_SECRET_KEY, &secret)
        .await?;
    Ok(setup)
}

/// An existing second factor is replaced only from a session signed in with it: a session
/// that began with the password alone (before the factor was set up, say) cannot swap in
/// an attacker's app.
async fn may_set_up(db: &Db, session: &Session, user: &SessionUser) -> Result<(), AppError> {
    let has_factor = repo::second_factor(db, user.id).await?.is_some();
    if has_factor && !super::session::auth_method(session).await.second_factor() {
        return Err(AppError::field("code", Problem::SecondFactorSessionNeeded));
    }
    Ok(())
}

/// Confirms the secret being set up with a code from the app: stores it, replaces the
/// recovery codes, ends the account's other sessions and returns the new codes (shown
/// once). The session counts as signed in with a second factor from now on; the caller
/// renews it under a new id.
pub async fn confirm_setup(
    db: &Db,
    session: &Session,
    user: &SessionUser,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AppError> {
    may_set_up(db, session, user).await?;
    let secret: Option<String> = session.get(super::session::SETUP_SECRET_KEY).await?;
    let Some(secret) = secret else {
        return Err(AppError::field("code", Problem::SecondFactorNotStarted));
    };
    let wrong = || AppError::field("code", Problem::WrongSecondFactorCode);
    let Some(SecondFactorInput::Code(code)) = rules::parse_input(code) else {
        return Err(wrong());
    };
    let step = rules::matching_step(&secret, &code, rules::step_of(now.timestamp()), 0)
        .ok_or_else(wrong)?;
    let codes = rules::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| rules::recovery_hash(c)).collect();
    let mut tx = begin_write(db).await?;
    repo::set_second_factor(&mut tx, user.id, &secret, step, &hashes, now).await?;
    // Like a password change: every other session ends (the caller renews this one).
    crate::org::repo::void_sessions(&mut tx, user.id, now).await?;
    crate::org::repo::audit(
        &mut tx,
        Some(user.id),
        "user.second_factor_enabled",
        &format!("user:{}", user.id.0),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    session
        .remove_value(super::session::SETUP_SECRET_KEY)
        .await?;
    super::session::upgrade_to_second_factor(session).await?;
    Ok(codes)
}

/// The person turns their second factor off, proving it with a current code (or a recovery
/// code). Admins must keep theirs.
pub async fn disable(
    db: &Db,
    user: &SessionUser,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if required_for(user) {
        return Err(AppError::field(
            "disable_code",
            Problem::SecondFactorRequired,
        ));
    }
    if repo::second_factor(db, user.id).await?.is_none() {
        return Err(AppError::field(
            "disable_code",
            Problem::SecondFactorNotEnabled,
        ));
    }
    if verify(db, user.id, code, now).await?.is_none() {
        return Err(AppError::field(
            "disable_code",
            Problem::WrongSecondFactorCode,
        ));
    }
    let mut tx = begin_write(db).await?;
    repo::clear_second_factor(&mut tx, user.id).await?;
    crate::org::repo::audit(
        &mut tx,
        Some(user.id),
        "user.second_factor_disabled",
        &format!("user:{}", user.id.0),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An admin removes another person's second factor (phone and recovery codes lost) and ends
/// all their sessions; the person sets it up again after signing in with the password.
pub async fn reset_by_admin(
    db: &Db,
    admin: UserId,
    target: UserId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if admin == target {
        return Err(AppError::field(
            "second_factor",
            Problem::SecondFactorRequired,
        ));
    }
    let mut tx = begin_write(db).await?;
    if !crate::org::repo::user_exists(&mut tx, target).await? {
        return Err(AppError::NotFound);
    }
    // Whoever used the password first after a reset would set up their own factor and hold
    // the rights: for admins that is left to the operators (`server reset-second-factor`).
    if repo::holds_admin_role(&mut tx, target).await? {
        return Err(AppError::field(
            "second_factor",
            Problem::SecondFactorAdminReset,
        ));
    }
    remove_second_factor(&mut tx, Some(admin), target, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The operators' reset (`server reset-second-factor`), for any account, admins included:
/// whoever runs it holds the server and its database anyway.
pub async fn reset_by_operator(
    db: &Db,
    target: UserId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = begin_write(db).await?;
    remove_second_factor(&mut tx, None, target, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a second factor, ends the person's sessions (a session signed in with the old
/// factor must not outlive it) and audits who did it (`None`: the operators' CLI).
async fn remove_second_factor(
    tx: &mut crate::db::Tx,
    actor: Option<UserId>,
    target: UserId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if !repo::clear_second_factor(tx, target).await? {
        return Err(AppError::field(
            "second_factor",
            Problem::SecondFactorNotEnabled,
        ));
    }
    crate::org::repo::void_sessions(tx, target, now).await?;
    let details = match actor {
        Some(_) => json!({}),
        None => json!({"via": "cli"}),
    };
    crate::org::repo::audit(
        tx,
        actor,
        "user.second_factor_reset",
        &format!("user:{}", target.0),
        details,
        now,
    )
    .await?;
    Ok(())
}
