//! Admin pages for org units, users and the CSV import.
use super::server_fns::*;
use super::{ImportOutcome, OrgUnit, OrgUnitId, UnitKind, UnitPath, UserDetail, UserId};
use crate::auth::Role;
use crate::context::use_ctx;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::ui::{error_text, ErrorBanner, Field, Guard};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

fn action_error<T: 'static>(
    value: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
) -> Signal<Option<AppError>> {
    Signal::derive(move || value().and_then(|r| r.err()))
}

/// `<option>`s for a unit select, indented by depth, with `selected` on the current one.
fn unit_options(
    units: &[OrgUnit],
    selected: Option<i64>,
    skip_subtree_of: Option<&UnitPath>,
) -> impl IntoView {
    units
        .iter()
        .filter(|u| skip_subtree_of.is_none_or(|p| !p.contains(&u.path)))
        .map(|u| {
            let label = format!("{}{} ({})", "\u{2003}".repeat(u.depth()), u.name, u.code);
            view! { <option value=u.id.0.to_string() selected=Some(u.id.0) == selected>{label}</option> }
        })
        .collect_view()
}

fn kind_options(locale: Locale, selected: Option<UnitKind>) -> impl IntoView {
    UnitKind::ALL
        .iter()
        .copied()
        .map(|k| view! { <option value=k.as_str() selected=Some(k) == selected>{k.label(locale)}</option> })
        .collect_view()
}

#[component]
pub fn UnitsPage() -> impl IntoView {
    view! { <Guard role=Role::Admin><Units/></Guard> }
}

#[component]
fn Units() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let save = crate::flash::server_action::<SaveUnit>();
    let units = Resource::new(|| (), |_| list_units());
    let error = action_error(move || save.value().get());
    let created = move || matches!(save.value().get(), Some(Ok(_)));
    view! {
        <Title text=t.units_title/>
        <h1>{t.units_title}</h1>
        <Transition fallback=move || view! { <p>{t.loading}</p> }>
            {move || units.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(list) => {
                    let rows = list.iter().map(|u| {
                        let depth = u.depth();
                        view! {
                            <tr class:inactive=!u.active>
                                <td><span class=format!("indent indent-{}", depth.min(8))>
                                    <a href=format!("/admin/units/{}", u.id.0)>{u.name.clone()}</a></span></td>
                                <td>{u.code.clone()}</td>
                                <td>{u.kind.label(locale)}</td>
                                <td class="num">{u.members}</td>
                                <td>{if u.active { t.active } else { t.inactive }}</td>
                            </tr>
                        }
                    }).collect_view();
                    let options = unit_options(&list, crate::flash::chosen_id("form[parent_id]", None), None);
                    view! {
                        <div class="table-wrap">
                            <table>
                                <caption class="sr-only">{t.units_title}</caption>
                                <thead><tr>
                                    <th scope="col">{t.unit_name}</th><th scope="col">{t.unit_code}</th>
                                    <th scope="col">{t.unit_kind}</th><th scope="col">{t.unit_members}</th>
                                    <th scope="col">{t.status}</th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                        <section class="card" aria-labelledby="new-unit-h">
                            <h2 id="new-unit-h">{t.unit_new}</h2>
                            {move || created().then(|| view! { <p class="alert alert-success" role="status">{t.saved}</p> })}
                            <ErrorBanner error=error/>
                            <ActionForm action=save attr:class="stack">
                                <Field label=t.unit_name name="form[name]" key="name" error=error required=true maxlength=120/>
                                <Field label=t.unit_code name="form[code]" key="code" error=error required=true maxlength=20/>
                                <div class="field">
                                    <label for="f-kind">{t.unit_kind}</label>
                                    <select id="f-kind" name="form[kind]">{kind_options(locale, crate::flash::chosen("form[kind]", UnitKind::ALL, UnitKind::as_str, Some(UnitKind::Amt)))}</select>
                                </div>
                                <div class="field">
                                    <label for="f-parent">{t.unit_parent}</label>
                                    <select id="f-parent" name="form[parent_id]"
                                        aria-invalid=move || error.get().and_then(|e| e.message_for("parent_id", t.locale)).map(|_| "true")
                                        aria-describedby=move || error.get().and_then(|e| e.message_for("parent_id", t.locale)).map(|_| "f-parent-err")>
                                        <option value="">{t.none_option}</option>
                                        {options}
                                    </select>
                                    {move || error.get().and_then(|e| e.message_for("parent_id", t.locale)).map(|m| view! { <p class="field-error" id="f-parent-err">{m}</p> })}
                                </div>
                                <button type="submit">{t.create}</button>
                            </ActionForm>
                        </section>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
pub fn UnitEditPage() -> impl IntoView {
    view! { <Guard role=Role::Admin><UnitEdit/></Guard> }
}

#[component]
fn UnitEdit() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let save = crate::flash::server_action::<SaveUnit>();
    let toggle = crate::flash::server_action::<SetUnitActive>();
    let data = Resource::new(id, |id| async move {
        Ok::<_, AppError>((get_unit(OrgUnitId(id)).await?, list_units().await?))
    });
    let error = action_error(move || save.value().get());
    let toggle_error = action_error(move || toggle.value().get());
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    view! {
        <Title text=t.unit_edit/>
        <p><A href="/admin/units">{t.back_to_list}</A></p>
        <h1>{t.unit_edit}</h1>
        <Transition fallback=move || view! { <p>{t.loading}</p> }>
            {move || data.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok((unit, units)) => view! {
                    {move || saved().then(|| view! { <p class="alert alert-success" role="status">{t.saved}</p> })}
                    <ErrorBanner error=error/>
                    <ActionForm action=save attr:class="stack card">
                        <input type="hidden" name="form[id]" value=unit.id.0.to_string()/>
                        <Field label=t.unit_name name="form[name]" key="name" error=error value=unit.name.clone() required=true maxlength=120/>
                        <Field label=t.unit_code name="form[code]" key="code" error=error value=unit.code.clone() required=true maxlength=20/>
                        <div class="field">
                            <label for="f-kind">{t.unit_kind}</label>
                            <select id="f-kind" name="form[kind]">{kind_options(locale, crate::flash::chosen("form[kind]", UnitKind::ALL, UnitKind::as_str, Some(unit.kind)))}</select>
                        </div>
                        <div class="field">
                            <label for="f-parent">{t.unit_parent}</label>
                            <select id="f-parent" name="form[parent_id]"
                                aria-invalid=move || error.get().and_then(|e| e.message_for("parent_id", t.locale)).map(|_| "true")
                                aria-describedby=move || error.get().and_then(|e| e.message_for("parent_id", t.locale)).map(|_| "f-parent-err")>
                                <option value="" selected=unit.parent_id.is_none()>{t.none_option}</option>
                                {unit_options(&units, crate::flash::chosen_id("form[parent_id]", unit.parent_id.map(|p| p.0)), Some(&unit.path))}
                            </select>
                            {move || error.get().and_then(|e| e.message_for("parent_id", t.locale)).map(|m| view! { <p class="field-error" id="f-parent-err">{m}</p> })}
                        </div>
                        <button type="submit">{t.save}</button>
                    </ActionForm>
                    <ErrorBanner error=toggle_error/>
                    <ActionForm action=toggle attr:class="inline-form">
                        <input type="hidden" name="id" value=unit.id.0.to_string()/>
                        <input type="hidden" name="active" value=(!unit.active).to_string()/>
                        <button type="submit" class="secondary">{if unit.active { t.deactivate } else { t.reactivate }}</button>
                    </ActionForm>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    view! { <Guard role=Role::Admin><Users/></Guard> }
}

#[component]
fn Users() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q")).unwrap_or_default();
    let page = move || {
        query
            .with(|m| m.get("page").and_then(|p| p.parse::<i64>().ok()))
            .unwrap_or(1)
            .max(1)
    };
    let save = crate::flash::server_action::<SaveUser>();
    let users = Resource::new(move || (q(), page()), |(q, page)| search_users(q, page));
    let units = Resource::new(|| (), |_| list_units());
    let error = action_error(move || save.value().get());
    let created = move || save.value().get().and_then(|r| r.ok());
    view! {
        <Title text=t.users_title/>
        <h1>{t.users_title}</h1>
        <form method="get" action="/admin/users" class="search" role="search">
            <label for="user-q">{t.search}</label>
            <input id="user-q" name="q" type="search" value=q placeholder=t.search_placeholder maxlength="100"/>
            <button type="submit">{t.search}</button>
        </form>
        <Transition fallback=move || view! { <p>{t.loading}</p> }>
            {move || users.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(p) if p.items.is_empty() => view! { <p class="empty">{t.no_results}</p> }.into_any(),
                Ok(p) => {
                    let pages = ((p.total + p.per_page - 1) / p.per_page).max(1);
                    let qq = q();
                    let link = move |n: i64| format!("/admin/users?q={}&page={n}", crate::ui::query_value(&qq));
                    let rows = p.items.into_iter().map(|u| view! {
                        <tr class:inactive=!u.active>
                            <td><a href=format!("/admin/users/{}", u.id.0)>{u.display_name}</a></td>
                            <td>{u.email}</td>
                            <td>{u.personnel_no.unwrap_or_default()}</td>
                            <td>{u.org_unit_name}</td>
                            <td>{if u.active { t.active } else { t.inactive }}</td>
                        </tr>
                    }).collect_view();
                    view! {
                        <p role="status">{p.total}" "{t.results_count}</p>
                        <div class="table-wrap"><table>
                            <caption class="sr-only">{t.users_title}</caption>
                            <thead><tr>
                                <th scope="col">{t.display_name}</th><th scope="col">{t.email}</th>
                                <th scope="col">{t.personnel_no}</th><th scope="col">{t.org_unit}</th><th scope="col">{t.status}</th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table></div>
                        <nav class="pager" aria-label=t.results_count>
                            {(p.page > 1).then(|| view! { <a href=link(p.page - 1)>{t.previous_page}</a> })}
                            <span>{p.page}" / "{pages}</span>
                            {(p.page < pages).then(|| view! { <a href=link(p.page + 1)>{t.next_page}</a> })}
                        </nav>
                    }.into_any()
                }
            })}
        </Transition>
        <section class="card" aria-labelledby="new-user-h">
            <h2 id="new-user-h">{t.user_new}</h2>
            {move || created().map(|id| view! {
                <p class="alert alert-success" role="status">{t.saved}" "<a href=format!("/admin/users/{}", id.0)>{t.edit}</a></p>
            })}
            <ErrorBanner error=error/>
            <ActionForm action=save attr:class="stack">
                <Field label=t.display_name name="form[display_name]" key="display_name" error=error required=true maxlength=120/>
                <Field label=t.email name="form[email]" key="email" error=error kind="email" required=true maxlength=254/>
                <Field label=t.personnel_no name="form[personnel_no]" key="personnel_no" error=error maxlength=20/>
                <UnitSelect units=units selected=None error=error/>
                <LocaleSelect selected=Locale::De/>
                <Field label=t.initial_password name="form[password]" key="password" error=error kind="password" autocomplete="new-password" maxlength=256 hint=t.initial_password_hint/>
                <button type="submit">{t.create}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn UnitSelect(
    units: Resource<Result<Vec<OrgUnit>, AppError>>,
    selected: Option<i64>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let t = use_ctx().locale.texts();
    let msg = move || {
        error
            .get()
            .and_then(|e| e.message_for("org_unit_id", t.locale))
    };
    view! {
        <div class="field">
            <label for="f-org_unit_id">{t.org_unit}" *"</label>
            <select id="f-org_unit_id" name="form[org_unit_id]" required
                aria-invalid=move || msg().map(|_| "true") aria-describedby=move || msg().map(|_| "f-org_unit_id-err")>
                <option value="">{t.none_option}</option>
                <Transition>
                    {move || units.get().and_then(|r| r.ok()).map(|list| unit_options(&list, crate::flash::chosen_id("form[org_unit_id]", selected), None))}
                </Transition>
            </select>
            {move || msg().map(|m| view! { <p class="field-error" id="f-org_unit_id-err">{m}</p> })}
        </div>
    }
}

#[component]
fn LocaleSelect(selected: Locale) -> impl IntoView {
    let t = use_ctx().locale.texts();
    let selected = crate::flash::submitted("form[locale]")
        .and_then(|c| Locale::parse(&c))
        .unwrap_or(selected);
    view! {
        <div class="field">
            <label for="f-locale">{t.preferred_language}</label>
            <select id="f-locale" name="form[locale]">
                {Locale::ALL.iter().copied().map(|l| view! { <option value=l.code() selected=l == selected>{l.native_name()}</option> }).collect_view()}
            </select>
        </div>
    }
}

#[component]
pub fn UserEditPage() -> impl IntoView {
    view! { <Guard role=Role::Admin><UserEdit/></Guard> }
}

#[component]
fn UserEdit() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let save = crate::flash::server_action::<SaveUser>();
    let toggle = crate::flash::server_action::<SetUserActive>();
    let role = crate::flash::server_action::<ChangeRole>();
    // A failed grant (not a failed revoke, which posts the same function) keeps its choice.
    let granting_failed = crate::flash::submitted("grant").as_deref() == Some("true");
    let password = crate::flash::server_action::<SetUserPassword>();
    let end_sessions = crate::flash::server_action::<EndUserSessions>();
    let reset_factor = crate::flash::server_action::<ResetSecondFactor>();
    let detail = Resource::new(id, |id| get_user(UserId(id)));
    let units = Resource::new(|| (), |_| list_units());
    let error = action_error(move || save.value().get());
    let toggle_error = action_error(move || toggle.value().get());
    let role_error = action_error(move || role.value().get());
    let pw_error = action_error(move || password.value().get());
    let sessions_error = action_error(move || end_sessions.value().get());
    let reset_factor_error = action_error(move || reset_factor.value().get());
    let ok = |v: Option<Result<(), AppError>>| matches!(v, Some(Ok(())));
    view! {
        <Title text=t.user_edit/>
        <p><A href="/admin/users">{t.back_to_list}</A></p>
        <h1>{t.user_edit}</h1>
        <Transition fallback=move || view! { <p>{t.loading}</p> }>
            {move || detail.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(UserDetail { user, roles, can_sign_in: _, second_factor }) => {
                    let uid = user.id.0;
                    let role_rows = roles.into_iter().map(|g| {
                        view! {
                            <li>
                                {g.role.label(locale)}{g.scope_name.clone().map(|s| format!(" – {s}"))}" "
                                <ActionForm action=role attr:class="inline-form">
                                    <input type="hidden" name="user_id" value=uid.to_string()/>
                                    <input type="hidden" name="role" value=g.role.as_str()/>
                                    <input type="hidden" name="scope_unit_id" value=g.scope_unit_id.map(|s| s.0.to_string()).unwrap_or_default()/>
                                    <input type="hidden" name="grant" value="false"/>
                                    <button type="submit" class="link">{t.remove}<span class="sr-only">": "{g.role.label(locale)}</span></button>
                                </ActionForm>
                            </li>
                        }
                    }).collect_view();
                    view! {
                        {move || ok(save.value().get().map(|r| r.map(|_| ()))).then(|| view! { <p class="alert alert-success" role="status">{t.saved}</p> })}
                        <ErrorBanner error=error/>
                        <ActionForm action=save attr:class="stack card">
                            <input type="hidden" name="form[id]" value=uid.to_string()/>
                            <Field label=t.display_name name="form[display_name]" key="display_name" error=error value=user.display_name.clone() required=true maxlength=120/>
                            <Field label=t.email name="form[email]" key="email" error=error kind="email" value=user.email.clone() required=true maxlength=254/>
                            <Field label=t.personnel_no name="form[personnel_no]" key="personnel_no" error=error value=user.personnel_no.clone().unwrap_or_default() maxlength=20/>
                            <UnitSelect units=units selected=Some(user.org_unit_id.0) error=error/>
                            <LocaleSelect selected=user.locale/>
                            <button type="submit">{t.save}</button>
                        </ActionForm>
                        <section class="card" aria-labelledby="roles-h">
                            <h2 id="roles-h">{t.roles}</h2>
                            <ul class="plain">{role_rows}</ul>
                            <ErrorBanner error=role_error/>
                            <ActionForm action=role attr:class="stack">
                                <input type="hidden" name="user_id" value=uid.to_string()/>
                                <input type="hidden" name="grant" value="true"/>
                                <div class="field">
                                    <label for="f-role">{t.role}</label>
                                    <select id="f-role" name="role">
                                        {Role::ALL.iter().copied().map(|r| view! { <option value=r.as_str() selected=granting_failed && crate::flash::submitted("role").as_deref() == Some(r.as_str())>{r.label(locale)}</option> }).collect_view()}
                                    </select>
                                </div>
                                <div class="field">
                                    <label for="f-scope_unit_id">{t.scope}</label>
                                    <select id="f-scope_unit_id" name="scope_unit_id" aria-describedby="f-scope-hint">
                                        <option value="">{t.none_option}</option>
                                        <Transition>
                                            {move || units.get().and_then(|r| r.ok()).map(|list| unit_options(&list, if granting_failed { crate::flash::chosen_id("scope_unit_id", None) } else { None }, None))}
                                        </Transition>
                                    </select>
                                    <p class="hint" id="f-scope-hint">{t.scope_hint}</p>
                                    {move || role_error.get().and_then(|e| e.message_for("scope_unit_id", t.locale)).map(|m| view! { <p class="field-error">{m}</p> })}
                                </div>
                                <button type="submit">{t.add_role}</button>
                            </ActionForm>
                        </section>
                        <section class="card" aria-labelledby="pw-h">
                            <h2 id="pw-h">{t.reset_password}</h2>
                            {move || ok(password.value().get()).then(|| view! { <p class="alert alert-success" role="status">{t.saved}</p> })}
                            <ActionForm action=password attr:class="stack">
                                <input type="hidden" name="id" value=uid.to_string()/>
                                <Field label=t.new_password name="new_password" key="new_password" error=pw_error kind="password" autocomplete="new-password" required=true maxlength=256 hint=t.initial_password_hint/>
                                <button type="submit">{t.reset_password}</button>
                            </ActionForm>
                        </section>
                        <section class="card" aria-labelledby="sessions-h">
                            <h2 id="sessions-h">{t.end_all_sessions}</h2>
                            <p>{t.end_all_sessions_hint}</p>
                            {move || ok(end_sessions.value().get()).then(|| view! { <p class="alert alert-success" role="status">{t.sessions_ended}</p> })}
                            <ErrorBanner error=sessions_error/>
                            <ActionForm action=end_sessions attr:class="inline-form">
                                <input type="hidden" name="id" value=uid.to_string()/>
                                <button type="submit" class="secondary">{t.end_all_sessions}</button>
                            </ActionForm>
                        </section>
                        <section class="card" aria-labelledby="sf-h">
                            <h2 id="sf-h">{t.second_factor_title}</h2>
                            {move || ok(reset_factor.value().get()).then(|| view! { <p class="alert alert-success" role="status">{t.second_factor_reset_done}</p> })}
                            <ErrorBanner error=reset_factor_error/>
                            {if second_factor {
                                view! {
                                    <p>{t.second_factor_reset_hint}</p>
                                    <ActionForm action=reset_factor attr:class="inline-form">
                                        <input type="hidden" name="id" value=uid.to_string()/>
                                        <button type="submit" class="secondary">{t.second_factor_reset}</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! { <p>{t.second_factor_off}</p> }.into_any()
                            }}
                        </section>
                        <ErrorBanner error=toggle_error/>
                        <ActionForm action=toggle attr:class="inline-form">
                            <input type="hidden" name="id" value=uid.to_string()/>
                            <input type="hidden" name="active" value=(!user.active).to_string()/>
                            <button type="submit" class="secondary">{if user.active { t.deactivate } else { t.reactivate }}</button>
                        </ActionForm>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    view! { <Guard role=Role::Admin><Import/></Guard> }
}

#[component]
fn Import() -> impl IntoView {
    let t = use_ctx().locale.texts();
    let result =
        crate::flash::outcome::<ImportOutcome>(<ImportOrg as leptos::server_fn::ServerFn>::PATH);
    view! {
        <Title text=t.import_title/>
        <h1>{t.import_title}</h1>
        <p>{t.import_intro}</p>
        <ul>
            <li><code>{t.import_units_format}</code></li>
            <li><code>{t.import_users_format}</code></li>
        </ul>
        <div class="card"><crate::ui::CsvUploadForm action_url="/fn/org/import" input_id="f-file"/></div>
        <div aria-live="polite">
            {result.map(|r| match r {
                Ok(ImportOutcome::Imported { created, updated }) => view! {
                    <p class="alert alert-success" role="status">{t.import_done}": "{created}" + / "{updated}" ~"</p>
                }.into_any(),
                Ok(ImportOutcome::Rejected(errors)) => view! {
                    <div class="alert alert-error" role="alert">
                        <p>{t.import_rejected}</p>
                        <table>
                            <thead><tr><th scope="col">{t.line}</th><th scope="col">{t.reason}</th></tr></thead>
                            <tbody>{errors.into_iter().map(|e| view! { <tr><td class="num">{e.line}</td><td>{e.describe(t.locale)}</td></tr> }).collect_view()}</tbody>
                        </table>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
            })}
        </div>
    }
}
