//! Admin page: issue and revoke API tokens; the secret is shown once after issuing.
use super::server_fns::*;
use super::Scope;
use crate::auth::Role;
use crate::context::use_ctx;
use crate::ui::{error_text, ErrorBanner, Field, Guard};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TokensPage() -> impl IntoView {
    view! { <Guard role=Role::Admin><Tokens/></Guard> }
}

#[component]
fn Tokens() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let create = crate::flash::server_action::<CreateToken>();
    let revoke = crate::flash::server_action::<RevokeToken>();
    let list = Resource::new(|| (), |_| list_tokens());
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let scope_error = move || error.get().and_then(|e| e.message_for("scopes", t.locale));
    view! {
        <Title text=t.tokens_title/>
        <h1>{t.tokens_title}</h1>
        <p>{t.tokens_intro}</p>
        <section class="card" aria-labelledby="tok-new-h">
            <h2 id="tok-new-h">{t.token_create}</h2>
            <ErrorBanner error=error/>
            <div aria-live="polite">
                {move || create.value().get().and_then(|r| r.ok()).map(|issued| view! {
                    <div class="alert alert-success" role="status">
                        <p>{t.token_secret_once}</p>
                        <p><code data-testid="token-secret">{issued.secret}</code></p>
                    </div>
                })}
            </div>
            <ActionForm action=create attr:class="stack">
                <Field label=t.token_name name="name" key="name" error=error required=true maxlength=80/>
                <fieldset>
                    <legend>{t.token_scopes}</legend>
                    {Scope::ALL.iter().map(|s| {
                        let id = format!("scope-{}", s.as_str().replace(':', "-"));
                        // After a failed post the scopes chosen stay chosen.
                        let checked = crate::flash::submitted_all("scopes[]")
                            .is_some_and(|chosen| chosen.iter().any(|c| c == s.as_str()));
                        view! {
                            <div class="check">
                                <input type="checkbox" id=id.clone() name="scopes[]" value=s.as_str() checked=checked/>
                                <label for=id><code>{s.as_str()}</code>" – "{s.describe(locale)}</label>
                            </div>
                        }
                    }).collect_view()}
                    {move || scope_error().map(|m| view! { <p class="field-error">{m}</p> })}
                </fieldset>
                <button type="submit">{t.token_create}</button>
            </ActionForm>
        </section>
        <Transition fallback=move || view! { <p>{t.loading}</p> }>
            {move || list.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="empty">{t.tokens_none}</p> }.into_any(),
                Ok(list) => view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label={t.tokens_title}><table>
                        <caption class="sr-only">{t.tokens_title}</caption>
                        <thead><tr><th scope="col">{t.token_name}</th><th scope="col">"Token"</th><th scope="col">{t.token_scopes}</th>
                            <th scope="col">{t.token_last_used}</th><th scope="col">{t.status}</th><th scope="col">{t.actions}</th></tr></thead>
                        <tbody>{list.into_iter().map(|tok| {
                            let name = tok.name.clone();
                            view! {
                                <tr class:inactive=tok.revoked_at.is_some()>
                                    <td>{tok.name.clone()}</td><td><code>{format!("{}…", tok.prefix)}</code></td>
                                    <td>{super::rules::scopes_text(&tok.scopes)}</td>
                                    <td>{tok.last_used_at.clone().unwrap_or_else(|| t.token_never.to_owned())}</td>
                                    <td>{match &tok.revoked_at { Some(at) => format!("{} {at}", t.token_revoked), None => t.active.to_owned() }}</td>
                                    <td>{tok.revoked_at.is_none().then(|| view! {
                                        <ActionForm action=revoke attr:class="inline-form">
                                            <input type="hidden" name="id" value=tok.id.to_string()/>
                                            <button type="submit" class="link">{t.token_revoke}<span class="sr-only">": "{name}</span></button>
                                        </ActionForm>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any(),
            })}
        </Transition>
    }
}
