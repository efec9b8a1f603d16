//! Sign-in and profile pages.
use super::server_fns::{
    my_sessions, second_factor_status, BeginSecondFactor, ChangePassword, ConfirmSecondFactor,
    DisableSecondFactor, EndOtherSessions, EndSession,
};
use crate::context::use_ctx;
use crate::ui::{ErrorBanner, Field, Guard};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let ctx = use_ctx();
    let t = ctx.locale.texts();
    let query = use_query_map();
    let q = move |k: &str| query.with_untracked(|m| m.get(k)).unwrap_or_default();
    let next = q("next");
    if ctx.user.is_some() {
        let target = crate::auth::rules::safe_next(Some(next.as_str())).to_owned();
        return view! { <Redirect path=target/> }.into_any();
    }
    let error = match q("error").as_str() {
        "invalid" => Some(t.login_failed),
        "missing" => Some(t.login_missing),
        "internal" => Some(t.err_internal),
        "expired" => Some(t.second_step_expired),
        _ => None,
    };
    let notice = (q("notice") == "signed_out").then_some(t.signed_out);
    view! {
        <Title text=t.login_title/>
        <div class="card narrow">
            <h1>{t.login_title}</h1>
            <p>{t.login_intro}</p>
            {notice.map(|n| view! { <p class="alert alert-info" role="status">{n}</p> })}
            {error.map(|e| view! { <p class="alert alert-error" role="alert" id="login-error">{e}</p> })}
            <form method="post" action="/auth/login" class="stack">
                <input type="hidden" name="next" value=next/>
                <div class="field">
                    <label for="login-email">{t.email}</label>
                    <input id="login-email" name="email" type="email" autocomplete="username" required
                        maxlength="254" aria-describedby=error.map(|_| "login-error")/>
                </div>
                <div class="field">
                    <label for="login-password">{t.password}</label>
                    <input id="login-password" name="password" type="password" autocomplete="current-password" required maxlength="256"/>
                </div>
                <button type="submit">{t.sign_in}</button>
            </form>
        </div>
    }
    .into_any()
}

/// The second step of a sign-in: the code from the app (or a recovery code). The form posts
/// to `/auth/second-factor`, which knows from the session whose password was accepted.
#[component]
pub fn SecondStepPage() -> impl IntoView {
    let ctx = use_ctx();
    let t = ctx.locale.texts();
    if ctx.user.is_some() {
        return view! { <Redirect path="/"/> }.into_any();
    }
    let query = use_query_map();
    let error = match query.with_untracked(|m| m.get("error")).as_deref() {
        Some("invalid") => Some(crate::i18n::Problem::WrongSecondFactorCode.message(ctx.locale)),
        Some("internal") => Some(t.err_internal.to_owned()),
        _ => None,
    };
    let described = if error.is_some() {
        "second-step-intro second-step-error"
    } else {
        "second-step-intro"
    };
    view! {
        <Title text=t.second_step_title/>
        <div class="card narrow">
            <h1>{t.second_step_title}</h1>
            <p id="second-step-intro">{t.second_step_intro}</p>
            {error.map(|e| view! { <p class="alert alert-error" role="alert" id="second-step-error">{e}</p> })}
            <form method="post" action="/auth/second-factor" class="stack">
                <div class="field">
                    <label for="second-step-code">{t.second_step_field}</label>
                    <input id="second-step-code" name="code" type="text" autocomplete="one-time-code" required
                        maxlength="32" spellcheck="false" aria-describedby=described/>
                </div>
                <button type="submit">{t.sign_in}</button>
            </form>
            <p><a href="/login">{t.back_to_login}</a></p>
        </div>
    }
    .into_any()
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! { <Guard><Profile/></Guard> }
}

#[component]
fn Profile() -> impl IntoView {
    let ctx = use_ctx();
    let t = ctx.locale.texts();
    let locale = ctx.locale;
    let user = ctx.user.expect("guarded");
    let change = crate::flash::server_action::<ChangePassword>();
    let error = Signal::derive(move || change.value().get().and_then(|r| r.err()));
    let done = move || matches!(change.value().get(), Some(Ok(())));
    let roles = user
        .roles
        .iter()
        .map(|g| {
            let scope = g
                .scope_name
                .clone()
                .map(|s| format!(" – {s}"))
                .unwrap_or_default();
            view! { <li>{g.role.label(locale)}{scope}</li> }
        })
        .collect_view();
    view! {
        <Title text=t.profile_title/>
        <h1>{t.profile_title}</h1>
        <dl class="facts">
            <dt>{t.display_name}</dt><dd>{user.display_name.clone()}</dd>
            <dt>{t.email}</dt><dd>{user.email.clone()}</dd>
            <dt>{t.preferred_language}</dt><dd>{locale.native_name()}</dd>
            <dt>{t.roles}</dt><dd><ul class="plain">{roles}</ul></dd>
        </dl>
        <SecondFactor/>
        <Sessions/>
        <section aria-labelledby="pw-h" class="card">
            <h2 id="pw-h">{t.change_password}</h2>
            {move || done().then(|| view! { <p class="alert alert-success" role="status">{t.password_changed}</p> })}
            <ErrorBanner error=error/>
            <ActionForm action=change attr:class="stack">
                <Field label=t.current_password name="form[current_password]" key="current_password" error=error kind="password" required=true autocomplete="current-password" maxlength=256/>
                <Field label=t.new_password name="form[new_password]" key="new_password" error=error kind="password" required=true autocomplete="new-password" maxlength=256 hint=t.initial_password_hint.split('.').next().unwrap_or_default().to_string()/>
                <Field label=t.confirm_password name="form[confirm_password]" key="confirm_password" error=error kind="password" required=true autocomplete="new-password" maxlength=256/>
                <button type="submit">{t.save}</button>
            </ActionForm>
        </section>
    }
}

/// The person's signed-in sessions with a button to end each other one, or all others.
#[component]
fn Sessions() -> impl IntoView {
    let t = use_ctx().locale.texts();
    let end_one = crate::flash::server_action::<EndSession>();
    let end_others = crate::flash::server_action::<EndOtherSessions>();
    let sessions = Resource::new(|| (), |_| my_sessions());
    let error = Signal::derive(move || {
        end_one
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| end_others.value().get().and_then(|r| r.err()))
    });
    view! {
        <section aria-labelledby="sessions-h" class="card">
            <h2 id="sessions-h">{t.sessions_title}</h2>
            <p>{t.sessions_intro}</p>
            {move || end_others.value().get().and_then(|r| r.ok()).map(|n| view! {
                <p class="alert alert-success" role="status">{format!("{}: {n}", t.sessions_ended)}</p>
            })}
            <ErrorBanner error=error/>
            <Transition fallback=move || view! { <p>{t.loading}</p> }>
                {move || sessions.get().map(|res| match res {
                    Err(e) => view! { <p class="alert alert-error" role="alert">{crate::ui::error_text(&e, t)}</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap"><table>
                            <thead><tr>
                                <th scope="col">{t.session_device}</th>
                                <th scope="col">{t.session_signed_in}</th>
                                <th scope="col">{t.session_last_seen}</th>
                                <th scope="col"><span class="sr-only">{t.end_session}</span></th>
                            </tr></thead>
                            <tbody>{list.into_iter().map(|s| {
                                let label = match (s.browser.clone(), s.system.clone()) {
                                    (Some(b), Some(o)) => format!("{b} · {o}"),
                                    (Some(b), None) => b,
                                    (None, Some(o)) => format!("{} · {o}", t.session_unknown_browser),
                                    (None, None) => t.session_unknown_browser.to_string(),
                                };
                                view! {
                                    <tr>
                                        <td>{label.clone()}{s.current.then(|| view! { " " <strong>"("{t.session_this}")"</strong> })}</td>
                                        <td>{s.signed_in_at.clone()}</td>
                                        <td>{s.last_seen_at.clone()}</td>
                                        <td>{(!s.current).then(|| view! {
                                            <ActionForm action=end_one attr:class="inline-form">
                                                <input type="hidden" name="id" value=s.id.clone()/>
                                                <button type="submit" class="secondary">{t.end_session}<span class="sr-only">": "{label.clone()}", "{s.signed_in_at.clone()}</span></button>
                                            </ActionForm>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table></div>
                    }.into_any(),
                })}
            </Transition>
            <ActionForm action=end_others attr:class="inline-form">
                <button type="submit" class="secondary">{t.end_other_sessions}</button>
            </ActionForm>
        </section>
    }
}

/// Setting up, renewing and turning off the second factor. The secret and QR code come from
/// the server and are confirmed with a first code; the recovery codes are shown once.
#[component]
fn SecondFactor() -> impl IntoView {
    let t = use_ctx().locale.texts();
    let begin = crate::flash::server_action::<BeginSecondFactor>();
    let confirm = crate::flash::server_action::<ConfirmSecondFactor>();
    let disable = crate::flash::server_action::<DisableSecondFactor>();
    let status = Resource::new(|| (), |_| second_factor_status());
    let begin_error = Signal::derive(move || begin.value().get().and_then(|r| r.err()));
    let confirm_error = Signal::derive(move || confirm.value().get().and_then(|r| r.err()));
    let disable_error = Signal::derive(move || disable.value().get().and_then(|r| r.err()));
    view! {
        <section aria-labelledby="sf-h" class="card">
            <h2 id="sf-h">{t.second_factor_title}</h2>
            <p>{t.second_factor_intro}</p>
            {move || matches!(disable.value().get(), Some(Ok(()))).then(|| view! {
                <p class="alert alert-success" role="status">{t.second_factor_disabled}</p>
            })}
            {move || confirm.value().get().and_then(|r| r.ok()).map(|codes| view! {
                <div class="alert alert-success" role="status">
                    <p><strong>{t.second_factor_enabled}</strong></p>
                    <p>{t.recovery_codes_intro}</p>
                    <ol class="recovery-codes">
                        {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                    </ol>
                </div>
            })}
            <Transition fallback=move || view! { <p>{t.loading}</p> }>
                {move || status.get().map(|res| match res {
                    Err(e) => view! { <p class="alert alert-error" role="alert">{crate::ui::error_text(&e, t)}</p> }.into_any(),
                    Ok(st) => {
                        let enabled = st.enabled_since.is_some();
                        view! {
                            <dl class="facts">
                                <dt>{t.status}</dt>
                                <dd>{match st.enabled_since.clone() {
                                    Some(d) => format!("{} {d}", t.second_factor_on),
                                    None => t.second_factor_off.to_string(),
                                }}</dd>
                                {enabled.then(|| view! {
                                    <dt>{t.recovery_codes_left}</dt><dd>{st.recovery_codes_left}</dd>
                                })}
                            </dl>
                            <ErrorBanner error=begin_error/>
                            <ActionForm action=begin attr:class="inline-form">
                                <button type="submit" class=if enabled { "secondary" } else { "" }>
                                    {if enabled { t.second_factor_renew } else { t.second_factor_setup }}
                                </button>
                            </ActionForm>
                            {(enabled && !st.required).then(|| view! {
                                <h3>{t.second_factor_disable}</h3>
                                <ErrorBanner error=disable_error/>
                                <ActionForm action=disable attr:class="stack">
                                    <Field label=t.second_factor_code name="code" key="disable_code" error=disable_error required=true autocomplete="one-time-code" maxlength=32/>
                                    <button type="submit" class="secondary">{t.second_factor_disable}</button>
                                </ActionForm>
                            })}
                        }.into_any()
                    }
                })}
            </Transition>
            <Transition>
                {move || status.get().and_then(|r| r.ok()).and_then(|st| st.pending).map(|setup| view! {
                    <div class="second-factor-setup stack">
                        <p>{t.second_factor_scan}</p>
                        <div class="qr" role="img" aria-label=t.second_factor_qr inner_html=setup.qr_svg></div>
                        <p>{t.second_factor_secret}": "<code class="secret">{setup.secret_grouped}</code></p>
                        <ErrorBanner error=confirm_error/>
                        <ActionForm action=confirm attr:class="stack">
                            <Field label=t.second_factor_code name="code" key="code" error=confirm_error required=true autocomplete="one-time-code" maxlength=32/>
                            <button type="submit">{t.second_factor_confirm}</button>
                        </ActionForm>
                    </div>
                })}
            </Transition>
        </section>
    }
}
