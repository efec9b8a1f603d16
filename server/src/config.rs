//! Configuration from environment variables (all documented in the README).
use anyhow::{bail, Context};
use app::db::DEFAULT_DATABASE_URL;
use app::state::Settings;
use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://path` (default `sqlite://data/rundschreiben.db`).
    pub database_url: String,
    /// `DB_MAX_CONNECTIONS` (default 8): read connections; writes use one more.
    pub db_max_connections: u32,
    /// `BIND_ADDR` (default `127.0.0.1:3000`); port 0 picks a free port (tests).
    pub bind_addr: SocketAddr,
    /// `LEPTOS_SITE_ROOT`: where cargo-leptos wrote `pkg/` (default `target/site`).
    pub site_root: String,
    /// `PASSWORD_HASH_CONCURRENCY`: argon2 hashes running at once (default: CPU count).
    pub hash_concurrency: usize,
    /// How often each background job runs (`EVIDENCE_SEAL_SECONDS`, `RETENTION_JOB_SECONDS`,
    /// `COMPLIANCE_JOB_SECONDS`, `MAIL_WORKER_SECONDS`, `REMINDER_JOB_SECONDS`,
    /// `COUNTS_JOB_SECONDS`).
    pub jobs: crate::jobs::Intervals,
    /// `SMTP_HOST` etc.; `None` writes mails to `MAIL_DIR` instead.
    pub smtp: Option<app::notifications::outbox::SmtpSettings>,
    /// `MAIL_FROM` (default `Rundschreiben-Portal <noreply@localhost>`).
    pub mail_from: String,
    /// `MAIL_DIR` (default `data/mail`).
    pub mail_dir: std::path::PathBuf,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub settings: Settings,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_var<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={v:?} is invalid: {e}")),
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Config> {
        let database_url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !database_url.starts_with("sqlite:") {
            bail!("DATABASE_URL must be a sqlite: URL in this version (PostgreSQL support is planned)");
        }
        let bind_addr: SocketAddr = var("BIND_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .context("BIND_ADDR must look like 127.0.0.1:3000")?;
        let public_url = var("PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned());
        if let Some(u) = &public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                bail!("PUBLIC_URL must start with http:// or https://");
            }
        }
        let cookie_secure = match var("COOKIE_SECURE") {
            Some(v) => v == "1" || v.eq_ignore_ascii_case("true"),
            None => public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
        };
        let idle: i64 = parse_var("SESSION_IDLE_MINUTES", 30)?;
        let absolute: i64 = parse_var("SESSION_ABSOLUTE_HOURS", 10)?;
        if idle < 1 || absolute < 1 {
            bail!("SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS must be at least 1");
        }
        let grace_days: i64 = parse_var("COMPLIANCE_GRACE_DAYS", 7)?;
        let stale_after_days: i64 = parse_var("STALE_AFTER_DAYS", 14)?;
        if grace_days < 0 || stale_after_days < 1 {
            bail!("COMPLIANCE_GRACE_DAYS must be at least 0 and STALE_AFTER_DAYS at least 1");
        }
        let cpus = std::thread::available_parallelism()
            .map(std::num::NonZero::get)
            .unwrap_or(2);
        Ok(Config {
            database_url,
            db_max_connections: parse_var("DB_MAX_CONNECTIONS", 8)?,
            bind_addr,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            hash_concurrency: parse_var("PASSWORD_HASH_CONCURRENCY", cpus)?,
            smtp: match var("SMTP_HOST") {
                None => None,
                Some(host) => Some(app::notifications::outbox::SmtpSettings {
                    host,
                    port: parse_var("SMTP_PORT", 587)?,
                    tls: var("SMTP_TLS").unwrap_or_else(|| "starttls".into()),
                    user: var("SMTP_USER"),
                    password: var("SMTP_PASSWORD"),
                }),
            },
            mail_from: var("MAIL_FROM")
                .unwrap_or_else(|| "Rundschreiben-Portal <noreply@localhost>".into()),
            mail_dir: var("MAIL_DIR").unwrap_or_else(|| "data/mail".into()).into(),
            trusted_proxies: var("TRUSTED_PROXIES")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse().with_context(|| {
                        format!("TRUSTED_PROXIES: {s:?} is not an IP address (e.g. 10.0.0.5,::1)")
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            jobs: {
                let defaults = crate::jobs::Intervals::default();
                let seconds = |name: &str, default: std::time::Duration| {
                    parse_var(name, default.as_secs())
                        .map(|s| std::time::Duration::from_secs(s.max(1)))
                };
                crate::jobs::Intervals {
                    seal: seconds("EVIDENCE_SEAL_SECONDS", defaults.seal)?,
                    retention: seconds("RETENTION_JOB_SECONDS", defaults.retention)?,
                    compliance: seconds("COMPLIANCE_JOB_SECONDS", defaults.compliance)?,
                    mail: seconds("MAIL_WORKER_SECONDS", defaults.mail)?,
                    reminders: seconds("REMINDER_JOB_SECONDS", defaults.reminders)?,
                    counts: seconds("COUNTS_JOB_SECONDS", defaults.counts)?,
                    verify: seconds("EVIDENCE_VERIFY_SECONDS", defaults.verify)?,
                }
            },
            settings: Settings {
                session_idle: chrono::Duration::minutes(idle),
                session_absolute: chrono::Duration::hours(absolute),
                cookie_secure,
                public_origin: public_url,
                late_joiner_days: parse_var("LATE_JOINER_DAYS", 14)?,
                reminder_plan: app::notifications::rules::ReminderPlan {
                    days_before: var("REMINDER_DAYS_BEFORE")
                        .unwrap_or_else(|| "7,1".into())
                        .split(',')
                        .map(|d| {
                            d.trim().parse::<i64>().map_err(|_| {
                                anyhow::anyhow!("REMINDER_DAYS_BEFORE must be like 7,1")
                            })
                        })
                        .collect::<anyhow::Result<Vec<_>>>()?,
                    overdue_every: parse_var("REMINDER_OVERDUE_EVERY", 3)?,
                    overdue_max: parse_var("REMINDER_OVERDUE_MAX", 3)?,
                },
                escalate_after_days: parse_var("ESCALATE_AFTER_DAYS", 7)?,
                head_names: match var("HEAD_NAMES") {
                    None => app::tracking::NamesPolicy::OverdueOnly,
                    Some(v) => app::tracking::NamesPolicy::parse(&v)
                        .context("HEAD_NAMES must be all, overdue or none")?,
                },
                attachment_max_bytes: parse_var::<usize>("ATTACHMENT_MAX_MB", 10)? * 1024 * 1024,
                api_rates: app::tokens::ratelimit::ApiRates {
                    per_token: app::tokens::ratelimit::Rate::per_second(parse_var(
                        "API_RATE_PER_TOKEN",
                        50_000u32,
                    )?),
                    per_ip: app::tokens::ratelimit::Rate::per_second(parse_var(
                        "API_RATE_PER_IP",
                        100_000u32,
                    )?),
                    unauthenticated_per_ip: app::tokens::ratelimit::Rate::per_second(parse_var(
                        "API_RATE_UNAUTHENTICATED_PER_IP",
                        10u32,
                    )?),
                },
                compliance: app::compliance::ComplianceSettings {
                    grace_days,
                    stale_after_days,
                    stale_policy: match var("STALE_POLICY") {
                        None => app::compliance::StalePolicy::Warn,
                        Some(v) => app::compliance::StalePolicy::parse(&v)
                            .context("STALE_POLICY must be ignore, warn or block")?,
                    },
                },
            },
        })
    }
}
