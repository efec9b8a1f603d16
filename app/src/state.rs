//! Application state shared by the router, server functions, the REST API and jobs.
use crate::auth::password::PasswordService;
use crate::db::Db;
use axum::extract::FromRef;
use leptos::prelude::*;
use std::sync::Arc;

/// Settings the domain code needs at run time (the server crate builds them from the
/// environment; see its `config` module for the variables).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Session ends after this long without a request.
    pub session_idle: chrono::Duration,
    /// Session ends this long after sign-in, however active.
    pub session_absolute: chrono::Duration,
    /// Send cookies with `Secure` (set when the portal is served over https).
    pub cookie_secure: bool,
    /// The origin browsers use to reach the portal, e.g. `https://portal.stadt.de`; used by
    /// the CSRF check in addition to the request's own Host.
    pub public_origin: Option<String>,
    /// Days people who join an audience unit after publication get to acknowledge.
    pub late_joiner_days: i64,
    /// Largest PDF attachment accepted.
    pub attachment_max_bytes: usize,
    /// Which names heads see in the list of open people.
    pub head_names: crate::tracking::NamesPolicy,
    /// Reminder schedule and escalation threshold.
    pub reminder_plan: crate::notifications::rules::ReminderPlan,
    pub escalate_after_days: i64,
    /// Grace period and stale-device policy of the compliance engine.
    pub compliance: crate::compliance::ComplianceSettings,
    /// Rate limits of the REST API.
    pub api_rates: crate::tokens::ratelimit::ApiRates,
}

impl Settings {
    /// Where links in mails point: `PUBLIC_URL`, else the address the server listens on.
    pub fn base_url(&self, listening_on: impl std::fmt::Display) -> String {
        self.public_origin
            .clone()
            .unwrap_or_else(|| format!("http://{listening_on}"))
    }

    /// Settings of the reminder job; `base_url` (see [`Settings::base_url`]) is where links
    /// in mails point.
    pub fn reminders(&self, base_url: &str) -> crate::notifications::reminders::ReminderSettings {
        crate::notifications::reminders::ReminderSettings {
            plan: self.reminder_plan.clone(),
            escalate_after_days: self.escalate_after_days,
            late_joiner_days: self.late_joiner_days,
            base_url: base_url.to_owned(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_idle: chrono::Duration::minutes(30),
            session_absolute: chrono::Duration::hours(10),
            cookie_secure: false,
            public_origin: None,
            late_joiner_days: 14,
            attachment_max_bytes: 10 * 1024 * 1024,
            head_names: crate::tracking::NamesPolicy::OverdueOnly,
            reminder_plan: Default::default(),
            escalate_after_days: 7,
            compliance: Default::default(),
            api_rates: Default::default(),
        }
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub passwords: PasswordService,
    pub settings: Arc<Settings>,
    /// Recently used API tokens (see `tokens::cache`).
    pub tokens: crate::tokens::cache::TokenCache,
    /// This node's snapshot of access decisions (see `compliance::access`).
    pub access: crate::compliance::access::AccessCache,
    /// This node's rate limits of the REST API.
    pub api_limits: crate::tokens::ratelimit::RateLimiter,
    /// This node's group-commit queue for inventory reports.
    pub reports: crate::compliance::engine::ReportQueue,
    /// This node's group-commit queue for acknowledgments.
    pub acks: crate::acknowledgments::queue::AckQueue,
    /// This node's outcomes of plain form posts, waiting for their pages (see `flash`).
    pub flashes: crate::flash::FlashStore,
}

impl AppState {
    /// Where links in mails point (see [`Settings::base_url`]).
    pub fn base_url(&self) -> String {
        self.settings.base_url(self.leptos_options.site_addr)
    }

    pub fn links(&self) -> crate::compliance::engine::Links {
        crate::compliance::engine::Links {
            base_url: self.base_url(),
        }
    }
}

/// The state inside a server function (provided by `leptos_routes_with_context`).
pub fn app_state() -> AppState {
    expect_context::<AppState>()
}
