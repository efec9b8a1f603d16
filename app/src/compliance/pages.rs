//! Compliance views: the owner's notice (on "My devices" and on a circular), and the
//! compliance page for heads (their subtrees) and admins (all, filters, exemptions, dry
//! run, device import).
use super::server_fns::*;
use super::{app_list, ComplianceState, Finding};
use crate::circulars::CircularId;
use crate::context::use_ctx;
use crate::i18n::Texts;
use crate::time::format_day;
use crate::ui::{error_text, ErrorBanner, Field, Guard};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// What the owner has to do about one standing.
fn advice(s: &Finding, t: &'static Texts, locale: crate::i18n::Locale) -> String {
    let day = |d: &Option<String>| {
        d.as_deref()
            .map(|d| format_day(d, locale))
            .unwrap_or_default()
    };
    match s.state {
        ComplianceState::Violating => {
            format!("{} {}.", t.my_compliance_violating, day(&s.effective_on))
        }
        ComplianceState::Warned => format!("{} {}.", t.my_compliance_warned, day(&s.block_on)),
        ComplianceState::Blocked => t.my_compliance_blocked.to_owned(),
        ComplianceState::Exempt => t.my_compliance_exempt.to_owned(),
        ComplianceState::Stale => t.my_compliance_stale.to_owned(),
        ComplianceState::Compliant => String::new(),
    }
}

/// The signed-in person's own findings, for [`MyComplianceNotice`]. A page that shows the
/// notice inside a `Suspense` creates this at its top level and passes it in: a resource
/// created inside a suspended view is created again each time the view re-renders.
pub fn own_findings() -> Resource<Result<Vec<Finding>, crate::error::AppError>> {
    Resource::new(|| (), |_| my_compliance())
}

/// The signed-in person's devices with prohibited apps (nothing when all are clean).
#[component]
pub fn MyComplianceNotice(
    /// The findings (default: loaded by the notice itself).
    #[prop(optional)]
    findings: Option<Resource<Result<Vec<Finding>, crate::error::AppError>>>,
) -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let mine = findings.unwrap_or_else(own_findings);
    view! {
        <Suspense fallback=|| ()>
            {move || mine.get().and_then(|r| r.ok()).filter(|l| !l.is_empty()).map(|list| view! {
                <section class="card alert-warning" aria-labelledby="my-compliance-h" data-testid="my-compliance">
                    <h2 id="my-compliance-h">{t.my_compliance_title}</h2>
                    <ul>{list.into_iter().map(|s| {
                        let text = advice(&s, t, locale);
                        view! {
                            <li>
                                <strong>{s.device.clone()}</strong>" – "{s.state.label(locale)}
                                {(!s.apps.is_empty()).then(|| view! { " (" <code>{app_list(&s.apps)}</code> ")" })}
                                {(!s.circular.is_empty()).then(|| format!(", {}", s.circular))}
                                <br/>{text}
                            </li>
                        }
                    }).collect_view()}</ul>
                </section>
            })}
        </Suspense>
    }
}

#[component]
pub fn CompliancePage() -> impl IntoView {
    view! { <Guard><Compliance/></Guard> }
}

#[component]
fn Compliance() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let query = use_query_map();
    let state = move || query.with(|q| q.get("state")).unwrap_or_default();
    let circular = move || query.with(|q| q.get("circular")).unwrap_or_default();
    let after = move || query.with(|q| q.get("after")).unwrap_or_default();
    let units_page = move || {
        query
            .with(|q| q.get("units_page"))
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(0)
            .max(0)
    };
    let grant = crate::flash::server_action::<GrantExemption>();
    let revoke = crate::flash::server_action::<RevokeExemption>();
    let data = Resource::new(
        move || (state(), circular(), after(), units_page()),
        |(s, c, a, u)| compliance_overview(s, c, a, u.to_string()),
    );
    // A link to another page of the overview with the same filters.
    let link = move |after: &str, units: i64| {
        let mut href = format!(
            "/compliance?state={}&circular={}",
            crate::ui::query_value(&state()),
            crate::ui::query_value(&circular())
        );
        if !after.is_empty() {
            href.push_str(&format!("&after={}", crate::ui::query_value(after)));
        }
        if units > 0 {
            href.push_str(&format!("&units_page={units}"));
        }
        href
    };
    view! {
        <Title text=t.compliance_title/>
        <h1>{t.compliance_title}</h1>
        <Transition fallback=move || view! { <p>{t.loading}</p> }>
            {move || data.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(o) => {
                    let is_admin = o.is_admin;
                    let units = units_page();
                    let circulars = o.circulars.clone();
                    view! {
                        <p>{if is_admin { t.compliance_intro_admin } else { t.compliance_intro_head }}</p>
                        <section aria-labelledby="units-h">
                            <h2 id="units-h">{t.compliance_units}</h2>
                            <p>{t.compliance_units_note}</p>
                            <div class="table-wrap" tabindex="0" role="region" aria-label={t.compliance_units}><table>
                                <caption class="sr-only">{t.compliance_units}</caption>
                                <thead><tr><th scope="col">{t.org_unit}</th><th scope="col">{t.compliance_devices}</th>
                                    <th scope="col">{ComplianceState::Violating.label(locale)}</th><th scope="col">{ComplianceState::Warned.label(locale)}</th>
                                    <th scope="col">{ComplianceState::Blocked.label(locale)}</th><th scope="col">{ComplianceState::Exempt.label(locale)}</th></tr></thead>
                                <tbody>{o.units.into_iter().map(|u| view! {
                                    <tr><th scope="row">{u.unit}</th><td class="num">{u.devices}</td><td class="num">{u.violating}</td>
                                        <td class="num">{u.warned}</td><td class="num">{u.blocked}</td><td class="num">{u.exempt}</td></tr>
                                }).collect_view()}</tbody>
                            </table></div>
                            <crate::ui::Pager label=t.compliance_units
                                previous=(units > 0).then(|| link(&after(), units - 1))
                                next=o.more_units.then(|| link(&after(), units + 1))/>
                        </section>
                        <section aria-labelledby="list-h">
                            <h2 id="list-h">{t.compliance_list}</h2>
                            {is_admin.then(|| view! { <Filters circulars=circulars.clone() state=state() circular=circular()/> })}
                            <FindingTable list=o.findings/>
                            <crate::ui::Pager label=t.compliance_list
                                first=(!after().is_empty()).then(|| link("", units))
                                next=o.next_after.as_deref().map(|a| link(a, units))/>
                            // The whole list with the same filters, streamed by the server.
                            <p><a href=format!("/compliance/export.csv?state={}&circular={}",
                                    crate::ui::query_value(&state()), crate::ui::query_value(&circular()))
                                rel="external" download="">{t.export_csv}</a></p>
                        </section>
                        {is_admin.then(|| view! {
                            <Exemptions grant=grant revoke=revoke circulars=circulars.clone() list=o.exemptions.clone()/>
                            <DryRun circulars=circulars.clone()/>
                            <DeviceImport/>
                        })}
                    }.into_any()
                }
            })}
        </Transition>
    }
}

fn circular_options(circulars: &[(CircularId, String)], selected: &str) -> impl IntoView {
    circulars
        .iter()
        .map(|(id, label)| {
            let sel = id.0.to_string() == selected;
            view! { <option value=id.0.to_string() selected=sel>{label.clone()}</option> }
        })
        .collect_view()
}

#[component]
fn Filters(circulars: Vec<(CircularId, String)>, state: String, circular: String) -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    view! {
        <form method="get" action="/compliance" class="field-row">
            <div class="field">
                <label for="f-state">{t.compliance_state}</label>
                <select id="f-state" name="state">
                    <option value="">{t.compliance_all_states}</option>
                    {ComplianceState::ALL.iter().filter(|s| **s != ComplianceState::Compliant).map(|s| {
                        let sel = s.as_str() == state;
                        view! { <option value=s.as_str() selected=sel>{s.label(locale)}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="f-circ">{t.circular}</label>
                <select id="f-circ" name="circular">
                    <option value="">{t.compliance_all_circulars}</option>
                    {circular_options(&circulars, &circular)}
                </select>
            </div>
            <div class="field"><button type="submit">{t.compliance_filter}</button></div>
        </form>
    }
}

#[component]
fn FindingTable(list: Vec<Finding>) -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    if list.is_empty() {
        return view! { <p class="empty">{t.compliance_none}</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label={t.compliance_list}><table data-testid="findings">
            <caption class="sr-only">{t.compliance_list}</caption>
            <thead><tr><th scope="col">{t.device_label}</th><th scope="col">{t.device_mdm_id}</th><th scope="col">{t.compliance_owner}</th><th scope="col">{t.org_unit}</th>
                <th scope="col">{t.circular}</th><th scope="col">{t.compliance_apps}</th><th scope="col">{t.compliance_state}</th>
                <th scope="col">{t.compliance_since}</th><th scope="col">{t.compliance_block_on}</th></tr></thead>
            <tbody>{list.into_iter().map(|s| view! {
                <tr class=format!("state-{}", s.state.as_str())>
                    <td>{s.device}</td><td>{s.mdm_id.unwrap_or_default()}</td><td>{s.owner}</td><td>{s.unit}</td>
                    <td>{s.circular}</td><td><code>{app_list(&s.apps)}</code></td><td>{s.state.label(locale)}</td>
                    <td>{s.since}</td><td>{s.block_on.map(|d| format_day(&d, locale)).unwrap_or_default()}</td>
                </tr>
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}

#[component]
fn Exemptions(
    grant: ServerAction<GrantExemption>,
    revoke: ServerAction<RevokeExemption>,
    circulars: Vec<(CircularId, String)>,
    list: Vec<super::Exemption>,
) -> impl IntoView {
    let t = use_ctx().locale.texts();
    let error = Signal::derive(move || grant.value().get().and_then(|r| r.err()));
    let granted = move || matches!(grant.value().get(), Some(Ok(_)));
    let circular_error = move || {
        error
            .get()
            .and_then(|e| e.message_for("circular", t.locale))
    };
    view! {
        <section class="card" aria-labelledby="exempt-h">
            <h2 id="exempt-h">{t.exemption_title}</h2>
            <p>{t.exemption_intro}</p>
            {move || granted().then(|| view! { <p class="alert alert-success" role="status">{t.exemption_granted}</p> })}
            <ErrorBanner error=error/>
            <ActionForm action=grant attr:class="stack">
                <Field label=t.device_mdm_id name="form[mdm_id]" key="mdm_id" error=error required=true maxlength=64/>
                <div class="field">
                    <label for="f-ex-circ">{t.circular}</label>
                    <select id="f-ex-circ" name="form[circular]">{circular_options(&circulars, &crate::flash::submitted("form[circular]").unwrap_or_default())}</select>
                    {move || circular_error().map(|m| view! { <p class="field-error">{m}</p> })}
                </div>
                <Field label=t.exemption_reason name="form[reason]" key="reason" error=error required=true maxlength=500/>
                <Field label=t.exemption_until name="form[valid_until]" key="valid_until" error=error required=true kind="date"/>
                <button type="submit">{t.exemption_title}</button>
            </ActionForm>
            {(!list.is_empty()).then(|| view! {
                <h3>{t.exemption_list}</h3>
                <div class="table-wrap" tabindex="0" role="region" aria-label={t.exemption_list}><table>
                    <caption class="sr-only">{t.exemption_list}</caption>
                    <thead><tr><th scope="col">{t.device_label}</th><th scope="col">{t.circular}</th><th scope="col">{t.exemption_reason}</th>
                        <th scope="col">{t.exemption_until}</th><th scope="col">{t.exemption_granted_by}</th><th scope="col">{t.actions}</th></tr></thead>
                    <tbody>{list.into_iter().map(|e| view! {
                        <tr class:inactive=!e.active>
                            <td>{e.device.clone()}</td><td>{e.circular}</td><td>{e.reason}</td><td>{e.valid_until}</td><td>{e.granted_by}</td>
                            <td>{if e.active { view! {
                                <ActionForm action=revoke attr:class="inline-form">
                                    <input type="hidden" name="id" value=e.id.0.to_string()/>
                                    <button type="submit" class="link">{t.exemption_revoke}<span class="sr-only">": "{e.device}</span></button>
                                </ActionForm>
                            }.into_any() } else { view! { <span>{t.exemption_ended}</span> }.into_any() }}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table></div>
            })}
        </section>
    }
}

#[component]
fn DryRun(circulars: Vec<(CircularId, String)>) -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let run = crate::flash::server_action::<super::server_fns::DryRun>();
    let error = Signal::derive(move || run.value().get().and_then(|r| r.err()));
    view! {
        <section class="card" aria-labelledby="dry-h">
            <h2 id="dry-h">{t.dryrun_title}</h2>
            <p>{t.dryrun_intro}</p>
            <ErrorBanner error=error/>
            <ActionForm action=run attr:class="field-row">
                <div class="field">
                    <label for="f-dry-circ">{t.circular}</label>
                    <select id="f-dry-circ" name="circular">{circular_options(&circulars, &crate::flash::submitted("circular").unwrap_or_default())}</select>
                </div>
                <Field label=t.dryrun_date name="date" key="date" error=error required=true kind="date"/>
                <div class="field"><button type="submit">{t.dryrun_run}</button></div>
            </ActionForm>
            <div aria-live="polite">
                {move || run.value().get().and_then(|r| r.ok()).map(|rows| if rows.is_empty() {
                    view! { <p class="empty">{t.dryrun_none}</p> }.into_any()
                } else { view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label={t.dryrun_title}><table data-testid="dry-run">
                        <caption class="sr-only">{t.dryrun_title}</caption>
                        <thead><tr><th scope="col">{t.device_label}</th><th scope="col">{t.compliance_owner}</th><th scope="col">{t.org_unit}</th>
                            <th scope="col">{t.compliance_apps}</th><th scope="col">{t.compliance_state}</th></tr></thead>
                        <tbody>{rows.into_iter().map(|r| view! {
                            <tr><td>{r.device}</td><td>{r.owner}</td><td>{r.unit}</td><td><code>{app_list(&r.apps)}</code></td><td>{r.outcome.label(locale)}</td></tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any() })}
            </div>
        </section>
    }
}

#[component]
fn DeviceImport() -> impl IntoView {
    let t = use_ctx().locale.texts();
    let result = crate::flash::outcome::<crate::compliance::ImportCounts>(
        <ImportDevices as leptos::server_fn::ServerFn>::PATH,
    );
    view! {
        <section class="card" aria-labelledby="dimp-h">
            <h2 id="dimp-h">{t.device_import_title}</h2>
            <p>{t.device_import_intro}</p>
            <crate::ui::CsvUploadForm action_url="/fn/compliance/import_devices" input_id="f-dfile"/>
            <div aria-live="polite">
                {result.map(|r| match r {
                    Ok(c) => view! {
                        <p class="alert alert-success" role="status">{format!("{} {}, {} {}", c.created, t.device_import_created, c.updated, t.device_import_updated)}</p>
                    }.into_any(),
                    Err(crate::error::AppError::Validation(rows)) => view! {
                        <div class="alert alert-error" role="alert">
                            <p>{t.import_rejected}</p>
                            <ul>{rows.into_iter().map(|e| view! { <li>{e.place(t.locale)}": "{e.message(t.locale)}</li> }).collect_view()}</ul>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                })}
            </div>
        </section>
    }
}
