//! Admin page: the mail outbox with pending and failed mails and the relay's answers.
use super::server_fns::outbox;
use crate::auth::Role;
use crate::context::use_ctx;
use crate::ui::{error_text, Guard};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn MailPage() -> impl IntoView {
    view! { <Guard role=Role::Admin><Mail/></Guard> }
}

#[component]
fn Mail() -> impl IntoView {
    let t = use_ctx().locale.texts();
    let rows = Resource::new(|| (), |_| outbox(false));
    view! {
        <Title text=t.mail_title/>
        <h1>{t.mail_title}</h1>
        <p>{t.mail_intro}</p>
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || rows.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="empty">{t.mail_none}</p> }.into_any(),
                Ok(list) => view! {
                    <div class="table-wrap"><table>
                        <caption class="sr-only">{t.mail_title}</caption>
                        <thead><tr><th scope="col">{t.email}</th><th scope="col">{t.mail_subject}</th><th scope="col">{t.acknowledged_at}</th>
                            <th scope="col">{t.mail_attempts}</th><th scope="col">{t.status}</th><th scope="col">{t.reason}</th></tr></thead>
                        <tbody>{list.into_iter().map(|m| view! {
                            <tr><td>{m.to_addr}</td><td>{m.subject}</td><td>{m.created_at}</td><td class="num">{m.attempts}</td>
                                <td>{match m.state {
                                    super::OutboxState::Failed => t.mail_failed,
                                    super::OutboxState::Pending => t.mail_pending,
                                    super::OutboxState::Sent => t.mail_sent,
                                }}</td><td>{m.last_error.unwrap_or_default()}</td></tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any(),
            })}
        </Suspense>
    }
}
