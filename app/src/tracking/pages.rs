//! The heads' dashboard: roll-up table and SVG chart per child unit, drill-down, open list,
//! acknowledging on behalf, reminding a unit, CSV/XLSX export. Works without JavaScript
//! (GET links and forms).
use super::rules::bar_width;
use super::server_fns::*;
use super::{Dashboard, RollupRow};
use crate::circulars::VersionId;
use crate::context::use_ctx;
use crate::i18n::Texts;
use crate::org::OrgUnitId;
use crate::time::format_day;
use crate::ui::{error_text, ErrorBanner, Guard};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn link(version: Option<i64>, unit: i64) -> String {
    match version {
        Some(v) => format!("/dashboard?version={v}&unit={unit}"),
        None => format!("/dashboard?unit={unit}"),
    }
}

fn row_name(r: &RollupRow, d: &Dashboard, t: &'static Texts) -> String {
    if r.unit_id.is_none() {
        format!("{} ({})", d.unit_name, t.direct_members)
    } else {
        r.unit_name.clone()
    }
}

/// Horizontal bars: acknowledged share per row. The table below carries the same numbers.
fn chart(d: &Dashboard, t: &'static Texts) -> impl IntoView {
    const LABEL: i64 = 260;
    const BAR: i64 = 300;
    const ROW: i64 = 28;
    let height = ROW * d.rows.len() as i64 + 10;
    let bars = d
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let y = i as i64 * ROW + 5;
            let name: String = row_name(r, d, t).chars().take(34).collect();
            view! {
                <g>
                    <text x="0" y=y + 17 font-size="13" fill="#1b1f24">{name}</text>
                    <rect x=LABEL y=y width=BAR height="20" fill="#e3e8ef"></rect>
                    <rect x=LABEL y=y width=bar_width(r.acknowledged, r.audience, BAR) height="20" fill="#1e6b32"></rect>
                    <text x=LABEL + BAR + 8 y=y + 15 font-size="13" fill="#1b1f24">{format!("{} %", r.percent())}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="chart" role="img" aria-labelledby="chart-title chart-desc" viewBox=format!("0 0 {} {height}", LABEL + BAR + 60) width="100%">
            <title id="chart-title">{t.chart_title}</title>
            <desc id="chart-desc">{t.chart_desc}</desc>
            {bars}
        </svg>
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! { <Guard><DashboardView/></Guard> }
}

#[component]
fn DashboardView() -> impl IntoView {
    let ctx = use_ctx();
    let locale = ctx.locale;
    let t = locale.texts();
    let is_head = ctx
        .user
        .as_ref()
        .is_some_and(|u| u.has_role(crate::auth::Role::Head));
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (
                q.get("version").and_then(|v| v.parse().ok()).map(VersionId),
                q.get("unit").and_then(|v| v.parse().ok()).map(OrgUnitId),
            )
        })
    };
    let on_behalf = crate::flash::server_action::<AcknowledgeOnBehalf>();
    let remind = crate::flash::server_action::<RemindUnit>();
    let data = Resource::new(params, |(v, u)| load_dashboard(v, u));
    let behalf_error = Signal::derive(move || on_behalf.value().get().and_then(|r| r.err()));
    view! {
        <Title text=t.dashboard_title/>
        <h1>{t.dashboard_title}</h1>
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || data.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(d) => {
                    let version = d.version_id;
                    let unit = d.unit_id.0;
                    view! {
                        <form method="get" action="/dashboard" class="filters">
                            <input type="hidden" name="unit" value=unit.to_string()/>
                            <div class="field">
                                <label for="d-version">{t.circular}</label>
                                <select id="d-version" name="version">
                                    {d.circulars.iter().map(|c| view! { <option value=c.version_id.to_string() selected=Some(c.version_id) == version>{c.label.clone()}</option> }).collect_view()}
                                </select>
                            </div>
                            <button type="submit">{t.show}</button>
                        </form>
                        <nav aria-label=t.breadcrumbs class="breadcrumbs">
                            <ol>{d.breadcrumbs.iter().map(|(id, name)| view! { <li><a href=link(version, id.0) aria-current=(id.0 == unit).then_some("page")>{name.clone()}</a></li> }).collect_view()}</ol>
                        </nav>
                        {(version.is_none()).then(|| view! { <p class="empty">{t.no_results}</p> })}
                        {(!d.rows.is_empty()).then(|| chart(&d, t))}
                        {(!d.rows.is_empty()).then(|| view! {
                            <div class="table-wrap"><table>
                                <caption>{t.rollup_caption}" "{d.unit_name.clone()}</caption>
                                <thead><tr>
                                    <th scope="col">{t.org_unit}</th><th scope="col">{t.count_audience}</th><th scope="col">{t.count_acknowledged}</th>
                                    <th scope="col">{t.count_open}</th><th scope="col">{t.count_overdue}</th><th scope="col">"%"</th><th scope="col">{t.devices_unclean}</th>
                                </tr></thead>
                                <tbody>
                                    {d.rows.iter().map(|r| {
                                        let name = row_name(r, &d, t);
                                        let cell = match r.unit_id {
                                            Some(id) => view! { <a href=link(version, id.0)>{name}</a> }.into_any(),
                                            None => view! { <span>{name}</span> }.into_any(),
                                        };
                                        view! {
                                            <tr>
                                                <th scope="row">{cell}</th><td class="num">{r.audience}</td><td class="num">{r.acknowledged}</td>
                                                <td class="num">{r.open()}</td><td class="num">{r.overdue}</td><td class="num">{r.percent()}</td><td class="num">{r.devices_unclean}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                                <tfoot><tr>
                                    <th scope="row">{t.total}</th><td class="num">{d.total.audience}</td><td class="num">{d.total.acknowledged}</td>
                                    <td class="num">{d.total.open()}</td><td class="num">{d.total.overdue}</td><td class="num">{d.total.percent()}</td><td class="num">{d.total.devices_unclean}</td>
                                </tr></tfoot>
                            </table></div>
                        })}
                        {version.map(|v| view! {
                            <ActionForm action=remind attr:class="inline-form">
                                <input type="hidden" name="version_id" value=v.to_string()/>
                                <input type="hidden" name="unit_id" value=unit.to_string()/>
                                <button type="submit" class="secondary">{t.remind_all}</button>
                            </ActionForm>
                            {move || remind.value().get().map(|r| match r {
                                Ok(n) => view! { <p class="alert alert-success" role="status">{format!("{}: {n}", t.reminders_sent)}</p> }.into_any(),
                                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                            })}
                        })}
                        {version.map(|v| view! { <p>
                            <a href=format!("/dashboard/export.csv?version={v}&unit={unit}") rel="external" download="">{t.export_csv}</a>" · "
                            <a href=format!("/dashboard/export.xlsx?version={v}&unit={unit}") rel="external" download="">{t.export_xlsx}</a>
                        </p> })}
                        {(!d.open_people.is_empty()).then(|| view! {
                            <section aria-labelledby="open-h">
                                <h2 id="open-h">{t.open_people}</h2>
                                <ErrorBanner error=behalf_error/>
                                <div class="table-wrap"><table>
                                    <thead><tr>
                                        <th scope="col">{t.display_name}</th><th scope="col">{t.org_unit}</th><th scope="col">{t.deadline}</th>
                                        <th scope="col">{t.days_overdue}</th><th scope="col">{t.reminders_col}</th>{is_head.then(|| view! { <th scope="col">{t.on_behalf_title}</th> })}
                                    </tr></thead>
                                    <tbody>{d.open_people.clone().into_iter().enumerate().map(|(i, p)| {
                                        let name = p.name.clone();
                                        let label = name.clone().unwrap_or_else(|| t.name_hidden.to_string());
                                        view! {
                                            <tr>
                                                <td>{label.clone()}</td><td>{p.unit_name.clone()}</td><td>{format_day(&p.deadline, locale)}</td><td class="num">{p.days_overdue}</td><td class="num">{p.reminders_sent}</td>
                                                {(is_head && name.is_some()).then_some(()).and(p.user_id).map(|uid| {
                                                    let rid = format!("remark-{i}");
                                                    let uid = uid.0;
                                                    view! {
                                                        <td>
                                                            <ActionForm action=on_behalf attr:class="inline-form">
                                                                <input type="hidden" name="version_id" value=version.unwrap_or_default().to_string()/>
                                                                <input type="hidden" name="user_id" value=uid.to_string()/>
                                                                <label for=rid.clone() class="sr-only">{format!("{}: {}", t.remark, label)}</label>
                                                                <input id=rid name="remark" required maxlength="500" placeholder=t.remark_placeholder/>
                                                                <button type="submit" class="secondary">{t.on_behalf_submit}</button>
                                                            </ActionForm>
                                                        </td>
                                                    }
                                                })}
                                            </tr>
                                        }
                                    }).collect_view()}</tbody>
                                </table></div>
                            </section>
                        })}
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
