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
