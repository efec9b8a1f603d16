//! The auditor's evidence page: recompute the chain and see the result.
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
    let verify = ServerAction::<VerifyEvidence>::new();
    let error = Signal::derive(move || verify.value().get().and_then(|r| r.err()));
    view! {
        <Title text=t.evidence_title/>
        <h1>{t.evidence_title}</h1>
        <p>{t.evidence_intro}</p>
        <ActionForm action=verify>
            <button type="submit" disabled=move || verify.pending().get()>{t.evidence_verify}</button>
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
