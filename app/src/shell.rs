//! The HTML shell, the application component with its routes, and the page layout
//! (skip link, header with role-based navigation, language switch, main landmark).
use crate::acknowledgments::pages::{ReadPage, ReceiptPage};
use crate::auth::pages::{LoginPage, ProfilePage, SecondStepPage};
use crate::auth::Role;
use crate::circulars::pages::{
    CircularDetailPage, CircularEditPage, CircularNewPage, CircularsPage,
};
use crate::context::{RequestCtx, CTX_ELEMENT_ID};
use crate::devices::pages::{AdminDeviceEditPage, AdminDevicesPage, MyDevicesPage};
use crate::evidence::pages::{AuditLogPage, EvidencePage, VersionEvidencePage};
use crate::evidence::privacy::PrivacyPage;
use crate::home::HomePage;
use crate::notifications::pages::MailPage;
use crate::org::pages::{ImportPage, UnitEditPage, UnitsPage, UserEditPage, UsersPage};
use crate::tracking::pages::DashboardPage;
use crate::ui::use_texts;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, SsrMode};

/// Name of the cargo-leptos output (`pkg/<name>.js|.wasm|.css`).
pub const OUTPUT_NAME: &str = "rundschreiben";

/// The Content-Security-Policy of a page whose scripts carry `nonce`: only those scripts
/// (and what they load) run, the wasm may compile, styles and images come from the portal
/// itself, and nobody may frame the page.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let ctx = RequestCtx::current();
    // The hydration scripts carry this response's nonce; the header names it.
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(v) = http::HeaderValue::from_str(&content_security_policy(&nonce.to_string())) {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    let lang = ctx.locale.code();
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <script id=CTX_ELEMENT_ID type="application/json" inner_html=ctx.to_script_json()></script>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
                <PageMarker/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let ctx = RequestCtx::current();
    let t = ctx.locale.texts();
    let awaits_second_factor = ctx
        .user
        .as_ref()
        .is_some_and(|u| u.admin_awaits_second_factor);
    provide_context(ctx);
    view! {
        <Title formatter=move |page: String| if page.is_empty() { t.app_name.to_string() } else { format!("{page} – {}", t.app_name) }/>
        <Router>
            <a class="skip-link" href="#main" rel="external">{t.skip_to_content}</a>
            <Header/>
            <main id="main" tabindex="-1">
                {awaits_second_factor.then(|| view! {
                    <p class="alert alert-info" role="note">{t.admin_awaits_second_factor}" "<a href="/profile">{t.profile_title}</a></p>
                })}
                // Async SSR: every page arrives complete, so it works without JavaScript.
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/zweiter-faktor") view=SecondStepPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/units") view=UnitsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/units/:id") view=UnitEditPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users/:id") view=UserEditPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/import") view=ImportPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/devices") view=AdminDevicesPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/devices/:id") view=AdminDeviceEditPage ssr=SsrMode::Async/>
                    <Route path=path!("/devices") view=MyDevicesPage ssr=SsrMode::Async/>
                    <Route path=path!("/audit/evidence") view=EvidencePage ssr=SsrMode::Async/>
                    <Route path=path!("/audit/log") view=AuditLogPage ssr=SsrMode::Async/>
                    <Route path=path!("/audit/versions/:id") view=VersionEvidencePage ssr=SsrMode::Async/>
                    <Route path=path!("/privacy") view=PrivacyPage ssr=SsrMode::Async/>
                    <Route path=path!("/barrierefreiheit") view=crate::accessibility::AccessibilityPage ssr=SsrMode::Async/>
                    <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/mail") view=MailPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/tokens") view=crate::tokens::pages::TokensPage ssr=SsrMode::Async/>
                    <Route path=path!("/compliance") view=crate::compliance::pages::CompliancePage ssr=SsrMode::Async/>
                    <Route path=path!("/read/:id") view=ReadPage ssr=SsrMode::Async/>
                    <Route path=path!("/receipts/:id") view=ReceiptPage ssr=SsrMode::Async/>
                    <Route path=path!("/circulars") view=CircularsPage ssr=SsrMode::Async/>
                    <Route path=path!("/circulars/new") view=CircularNewPage ssr=SsrMode::Async/>
                    <Route path=path!("/circulars/:id") view=CircularDetailPage ssr=SsrMode::Async/>
                    <Route path=path!("/circulars/:id/edit") view=CircularEditPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <footer class="site-footer">
                <a href="/privacy">{t.footer_privacy}</a>" · "
                <a href="/barrierefreiheit">{t.footer_accessibility}</a>
            </footer>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let ctx = crate::context::use_ctx();
    let t = use_texts();
    let user = ctx.user.clone();
    let is_admin = user.as_ref().is_some_and(|u| u.has_role(Role::Admin));
    let is_publisher = user.as_ref().is_some_and(|u| u.has_role(Role::Publisher));
    let is_auditor = user.as_ref().is_some_and(|u| u.has_role(Role::Auditor));
    let is_head = user.as_ref().is_some_and(|u| u.has_role(Role::Head));
    let tracks = is_admin || is_publisher || is_head;
    let other = ctx.locale.other();
    view! {
        <header class="site-header">
            <div class="brand"><a href="/">{t.app_name}</a></div>
            {user.clone().map(|_| view! {
                <nav aria-label=t.main_nav class="main-nav">
                    <ul>
                        <li><A href="/" exact=true>{t.nav_home}</A></li>
                        <li><A href="/devices">{t.nav_devices}</A></li>
                        {is_publisher.then(|| view! { <li><A href="/circulars">{t.nav_circulars}</A></li> })}
                        {tracks.then(|| view! { <li><A href="/dashboard">{t.nav_dashboard}</A></li> })}
                        {(is_admin || is_head).then(|| view! { <li><A href="/compliance">{t.nav_compliance}</A></li> })}
                        {is_auditor.then(|| view! {
                            <li><A href="/audit/evidence">{t.nav_evidence}</A></li>
                            <li><A href="/audit/log">{t.nav_audit}</A></li>
                        })}
                        <li><A href="/profile">{t.nav_profile}</A></li>
                        {is_admin.then(|| view! {
                            <li><A href="/admin/units">{t.nav_units}</A></li>
                            <li><A href="/admin/users">{t.nav_users}</A></li>
                            <li><A href="/admin/import">{t.nav_import}</A></li>
                            <li><A href="/admin/devices">{t.nav_all_devices}</A></li>
                            <li><A href="/admin/mail">{t.nav_mail}</A></li>
                            <li><A href="/admin/tokens">{t.nav_tokens}</A></li>
                        })}
                    </ul>
                </nav>
            })}
            <div class="header-tools">
                <form method="post" action="/lang" class="inline-form">
                    <input type="hidden" name="lang" value=other.code()/>
                    <button type="submit" lang=other.code() aria-label=format!("{}: {}", t.switch_language, other.native_name())>
                        {other.native_name()}
                    </button>
                </form>
                {user.map(|u| view! {
                    <span class="whoami">{t.signed_in_as}" "<strong>{u.display_name}</strong></span>
                    <form method="post" action="/auth/logout" class="inline-form">
                        <button type="submit" class="secondary">{t.sign_out}</button>
                    </form>
                })}
            </div>
        </header>
    }
}

/// The last island of every page: the browser hydrates islands in document order, so when
/// this one runs the page is live. It marks the page (the browser tests wait for
/// `data-hydrated`) and moves the focus to an error summary the server rendered after a
/// failed form post, so keyboard and screen-reader users land on the problem (WCAG 3.3.1).
#[island]
fn PageMarker() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        use wasm_bindgen::JsCast;
        if let Some(summary) = doc
            .query_selector(".error-summary")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = summary.focus();
        }
        if let Some(body) = doc.body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::NOT_FOUND);
    }
    let t = use_texts();
    view! {
        <Title text=t.not_found_title/>
        <h1>{t.not_found_title}</h1>
        <p><a href="/">{t.nav_home}</a></p>
    }
}
