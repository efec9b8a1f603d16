//! The auditor's pages: recompute the evidence chain and see the result, the evidence per
//! circular version, and the audit log.
use super::server_fns::VerifyEvidence;
use crate::auth::Role;
use crate::context::use_ctx;
use crate::ui::{ErrorBanner, Guard};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn EvidencePage() -> impl IntoView {
    view! { <Guard role=Role::Auditor><Evidence/></Guard> }
}

#[component]
fn Evidence() -> impl IntoView {
    let t = use_ctx().locale.texts();
    let verify = crate::flash::server_action::<VerifyEvidence>();
    let error = Signal::derive(move || verify.value().get().and_then(|r| r.err()));
    let versions = Resource::new(|| (), |_| super::server_fns::evidence_versions());
    view! {
        <Title text=t.evidence_title/>
        <h1>{t.evidence_title}</h1>
        <p>{t.evidence_intro}</p>
        <ActionForm action=verify>
            <button type="submit">{t.evidence_verify}</button>
        </ActionForm>
        <ErrorBanner error=error/>
        <div aria-live="polite">
            {move || verify.value().get().and_then(|r| r.ok()).map(|r| view! {
                {match &r.broken {
                    None => view! { <p class="alert alert-success" role="status">{t.evidence_ok}</p> }.into_any(),
                    Some(b) => view! {
                        <p class="alert alert-error" role="alert">{t.evidence_broken}" #"{b.seq}" ("{b.kind.clone()}" "{b.ref_id}"): "{b.reason.clone()}</p>
                    }.into_any(),
                }}
                <dl class="facts">
                    <dt>{t.evidence_entries}</dt><dd>{r.entries}</dd>
                    <dt>{t.count_acknowledged}</dt><dd>{r.acknowledgments}</dd>
                    <dt>{t.evidence_audit_entries}</dt><dd>{r.audit_entries}</dd>
                    <dt>{t.evidence_pending}</dt><dd>{r.pending}</dd>
                    <dt>{t.evidence_head}</dt><dd><code class="hash">{r.head_hash.clone()}</code></dd>
                </dl>
            })}
        </div>
        <section aria-labelledby="ev-versions-h">
            <h2 id="ev-versions-h">{t.evidence_per_version}</h2>
            <Transition>
                {move || versions.get().and_then(|r| r.ok()).map(|list| view! {
                    <ul class="plain">
                        {list.into_iter().map(|v| view! {
                            <li>
                                <a href=format!("/audit/versions/{}", v.id)>{v.number.clone()}" ("{t.version}" "{v.version_no}"): "{v.title.clone()}</a>" "
                                <a href=format!("/audit/export/version/{}", v.id) rel="external" download="">"JSON"<span class="sr-only">" "{v.number.clone()}</span></a>
                            </li>
                        }).collect_view()}
                    </ul>
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn VersionEvidencePage() -> impl IntoView {
    view! { <Guard role=Role::Auditor><VersionEvidence/></Guard> }
}

#[component]
fn VersionEvidence() -> impl IntoView {
    use leptos_router::hooks::{use_params_map, use_query_map};
    let t = use_ctx().locale.texts();
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let wanted = move || {
        query.with(|q| super::EvidenceQuery {
            q: q.get("q").unwrap_or_default(),
            after: q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0),
        })
    };
    let data = Resource::new(
        move || (id(), wanted()),
        |(id, wanted)| super::server_fns::version_evidence(crate::circulars::VersionId(id), wanted),
    );
    view! {
        <Title text=t.evidence_per_version/>
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || data.get().map(|res| match res {
                Err(e) => view! { <h1>{t.evidence_per_version}</h1><p class="alert alert-error" role="alert">{crate::ui::error_text(&e, t)}</p> }.into_any(),
                Ok((v, page)) => {
                    let w = wanted();
                    let here = format!("/audit/versions/{}", v.id);
                    let next = page.next_after.map(|after| {
                        format!("{here}?q={}&after={after}", crate::ui::query_value(&w.q))
                    });
                    let first = (w.after > 0).then(|| format!("{here}?q={}", crate::ui::query_value(&w.q)));
                    view! {
                        <h1>{v.number.clone()}" – "{t.version}" "{v.version_no}</h1>
                        <p>{v.title.clone()}</p>
                        <p class="no-print"><crate::ui::PrintButton label=t.print.to_string()/>" "
                            <a href=format!("/audit/export/version/{}", v.id) rel="external" download="">"JSON"</a></p>
                        <form method="get" action=here.clone() class="filters no-print" role="search">
                            <div class="field">
                                <label for="ev-q">{t.evidence_search_label}</label>
                                <input id="ev-q" name="q" type="search" value=w.q.clone() maxlength="100"/>
                            </div>
                            <button type="submit">{t.search}</button>
                        </form>
                        <p role="status">{format!("{} {}", page.total, t.results_count)}</p>
                        <div class="table-wrap"><table>
                            <caption>{t.evidence_per_version}</caption>
                            <thead><tr>
                                <th scope="col">{t.display_name}</th><th scope="col">{t.acknowledged_at}</th><th scope="col">{t.evidence_devices}</th>
                                <th scope="col">{t.content_hash}</th><th scope="col">{t.evidence_seal}</th>
                            </tr></thead>
                            <tbody>{page.rows.into_iter().map(|r| view! {
                                <tr>
                                    <td>{match (r.person.clone(), r.person_id) {
                                        (Some(name), Some(pid)) => view! {
                                            <a href=format!("/audit/export/person/{pid}") rel="external" download="" aria-label=format!("{name}: {}", t.evidence_person_export)>{name.clone()}" (JSON)"</a>
                                        }.into_any(),
                                        _ => t.pseudonymised.into_any(),
                                    }}{r.on_behalf_by.clone().map(|b| format!(" ({} {b})", t.on_behalf_by))}</td>
                                    <td>{r.acknowledged_at.clone()}</td>
                                    <td><ul class="plain">{r.devices.iter().map(|d| view! { <li>{d.clone()}</li> }).collect_view()}</ul></td>
                                    <td><code class="hash">{r.content_sha256.clone()}</code></td>
                                    <td>{r.seal.clone().map(|(seq, h)| view! { {format!("{} #{seq} ", t.entry)}<code class="hash">{h}</code> })}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table></div>
                        <crate::ui::Pager label=t.pages_nav first=first next=next/>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    view! { <Guard role=Role::Auditor><AuditLog/></Guard> }
}

#[component]
fn AuditLog() -> impl IntoView {
    use leptos_router::hooks::use_query_map;
    let t = use_ctx().locale.texts();
    let query = use_query_map();
    let filter = move || {
        query.with(|q| super::AuditFilter {
            action: q.get("action").unwrap_or_default(),
            actor: q.get("actor").unwrap_or_default(),
            target: q.get("target").unwrap_or_default(),
            from: q.get("from").unwrap_or_default(),
            to: q.get("to").unwrap_or_default(),
        })
    };
    let entries = Resource::new(filter, super::server_fns::audit_log);
    let f = filter();
    view! {
        <Title text=t.audit_title/>
        <h1>{t.audit_title}</h1>
        <form method="get" action="/audit/log" class="filters">
            <div class="field"><label for="a-action">{t.audit_action}</label><input id="a-action" name="action" value=f.action placeholder="user." maxlength="60"/></div>
            <div class="field"><label for="a-actor">{t.audit_actor}</label><input id="a-actor" name="actor" value=f.actor maxlength="100"/></div>
            <div class="field"><label for="a-target">{t.audit_target}</label><input id="a-target" name="target" value=f.target placeholder="user:42" maxlength="60"/></div>
            <div class="field"><label for="a-from">{t.audit_from}</label><input id="a-from" name="from" type="date" value=f.from/></div>
            <div class="field"><label for="a-to">{t.audit_to}</label><input id="a-to" name="to" type="date" value=f.to/></div>
            <button type="submit">{t.search}</button>
        </form>
        <Transition fallback=move || view! { <p>{t.loading}</p> }>
            {move || entries.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{crate::ui::error_text(&e, t)}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="empty">{t.no_results}</p> }.into_any(),
                Ok(list) => view! {
                    <div class="table-wrap"><table>
                        <caption class="sr-only">{t.audit_title}</caption>
                        <thead><tr>
                            <th scope="col">{t.acknowledged_at}</th><th scope="col">{t.audit_actor}</th><th scope="col">{t.audit_action}</th>
                            <th scope="col">{t.audit_target}</th><th scope="col">{t.audit_details}</th><th scope="col">{t.evidence_seal}</th>
                        </tr></thead>
                        <tbody>{list.into_iter().map(|e| view! {
                            <tr>
                                <td>{e.at}</td><td>{e.actor.unwrap_or_else(|| "System".into())}</td><td><code>{e.action}</code></td>
                                <td>{e.target}</td><td><code class="hash">{e.details}</code></td><td class="num">{e.seq}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any(),
            })}
        </Transition>
    }
}
