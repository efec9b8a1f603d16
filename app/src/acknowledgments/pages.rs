//! The employee's side: inbox on the home page, the reading page with the acknowledgment
//! form (works without JavaScript), and the printable receipt.
use super::server_fns::*;
use super::{AckId, Attestation, Inbox};
use crate::circulars::VersionId;
use crate::context::use_ctx;
use crate::devices::pages::{device_summary, DeviceFields};
use crate::devices::SaveDevice;
use crate::time::format_day;
use crate::ui::{error_text, ErrorBanner, Guard};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The inbox: what is due (overdue first) and what I acknowledged.
#[component]
pub fn InboxSection() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let inbox = Resource::new(|| (), |_| my_inbox());
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || inbox.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(Inbox { due, history }) => view! {
                    <section aria-labelledby="inbox-h">
                        <h2 id="inbox-h">{t.inbox_title}</h2>
                        {if due.is_empty() { view! { <p class="empty">{t.inbox_empty}</p> }.into_any() } else { view! {
                            <ul class="cards">
                                {due.into_iter().map(|i| view! {
                                    <li class="card" class:overdue=i.overdue>
                                        <h3><a href=format!("/read/{}", i.version_id.0)>{i.number.clone()}": "{i.title.clone()}</a></h3>
                                        <p>{i.summary.clone()}</p>
                                        <p class="meta">
                                            {if i.overdue { view! { <strong class="badge badge-error">{t.overdue}</strong> }.into_any() } else { view! { <span class="badge">{t.open}</span> }.into_any() }}
                                            " "{t.deadline}": "{format_day(&i.deadline, locale)}
                                        </p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any() }}
                    </section>
                    <section aria-labelledby="history-h">
                        <h2 id="history-h">{t.history_title}</h2>
                        {if history.is_empty() { view! { <p class="empty">{t.history_empty}</p> }.into_any() } else { view! {
                            <ul class="plain">
                                {history.into_iter().map(|h| view! {
                                    <li>
                                        <a href=format!("/receipts/{}", h.ack_id.0)>{h.number.clone()}" (v"{h.version_no}"): "{h.title.clone()}</a>
                                        " – "{h.acknowledged_at.clone()}
                                        {h.on_behalf_by.clone().map(|b| format!(" ({} {b})", t.on_behalf_by))}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any() }}
                    </section>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn ReadPage() -> impl IntoView {
    view! { <Guard><Read/></Guard> }
}

#[component]
fn Read() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let ack = crate::flash::server_action::<Acknowledge>();
    let add_device = crate::flash::server_action::<SaveDevice>();
    let data = Resource::new(id, |id| read_circular(VersionId(id)));
    let findings = crate::compliance::pages::own_findings();
    let error = Signal::derive(move || ack.value().get().and_then(|r| r.err()));
    let device_error = Signal::derive(move || add_device.value().get().and_then(|r| r.err()));
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || data.get().map(|res| match res {
                Err(e) => view! { <h1>{t.err_not_found}</h1><p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(r) => {
                    let v = r.version.clone();
                    let devices = r.devices.clone();
                    view! {
                        <Title text=format!("{} – {}", v.number, v.title)/>
                        <article class="circular">
                            <p class="meta">{v.number.clone()}" · "{t.version}" "{v.version_no}" · "{t.effective_on}": "{format_day(&v.effective_on, locale)}" · "{t.deadline}": "{format_day(&r.deadline, locale)}</p>
                            <h1>{v.title.clone()}</h1>
                            <p class="summary">{v.summary.clone()}</p>
                            <div class="body" inner_html=v.body_html.clone()></div>
                            <crate::circulars::pages::AttachmentList attachments=v.attachments.clone()/>
                            {(!v.apps.is_empty()).then(|| view! {
                                <crate::compliance::pages::MyComplianceNotice findings=findings/>
                                <h2>{t.prohibited_apps}</h2>
                                <div class="table-wrap"><table>
                                    <thead><tr><th scope="col">{t.app_name_col}</th><th scope="col">{t.device_platform}</th><th scope="col">{t.app_id_col}</th></tr></thead>
                                    <tbody>{v.apps.iter().map(|a| view! { <tr><td>{a.display_name.clone()}</td><td>{a.platform.as_str()}</td><td><code>{a.app_identifier.clone()}</code></td></tr> }).collect_view()}</tbody>
                                </table></div>
                            })}
                        </article>
                        {match r.acknowledged {
                            Some(done) => view! {
                                <p class="alert alert-success" role="status">{t.already_acknowledged}" "<a href=format!("/receipts/{}", done.0)>{t.receipt_link}</a></p>
                            }.into_any(),
                            None => view! {
                                <section class="card" aria-labelledby="ack-h">
                                    <h2 id="ack-h">{t.acknowledge_title}</h2>
                                    <ErrorBanner error=error/>
                                    <ActionForm action=ack attr:class="stack">
                                        <input type="hidden" name="form[version_id]" value=v.id.0.to_string()/>
                                        <input type="hidden" name="form[content_sha256]" value=v.content_sha256.clone().unwrap_or_default()/>
                                        {if devices.is_empty() { view! { <p>{t.no_devices_for_ack}</p> }.into_any() } else {
                                            devices.iter().map(|d| {
                                                let name = format!("form[attestations][{}]", d.id.0);
                                                let legend = device_summary(d, locale);
                                                view! {
                                                    <fieldset class="attest">
                                                        <legend>{legend}</legend>
                                                        {Attestation::ALL.iter().map(|a| {
                                                            let rid = format!("att-{}-{}", d.id.0, a.as_str());
                                                            view! {
                                                                <div class="radio">
                                                                    <input type="radio" id=rid.clone() name=name.clone() value=a.as_str() required=true/>
                                                                    <label for=rid>{a.label(locale)}</label>
                                                                </div>
                                                            }
                                                        }).collect_view()}
                                                    </fieldset>
                                                }
                                            }).collect_view().into_any()
                                        }}
                                        {move || error.get().and_then(|e| e.message_for("attestations", t.locale)).map(|m| view! { <p class="field-error">{m}</p> })}
                                        <div class="checkbox">
                                            <input type="checkbox" id="read-confirmed" name="form[read_confirmed]" required=true/>
                                            <label for="read-confirmed">{t.read_confirm}</label>
                                        </div>
                                        {move || error.get().and_then(|e| e.message_for("read_confirmed", t.locale)).map(|m| view! { <p class="field-error">{m}</p> })}
                                        {move || error.get().and_then(|e| e.message_for("content_sha256", t.locale)).map(|m| view! { <p class="field-error">{m}</p> })}
                                        <button type="submit">{t.acknowledge_submit}</button>
                                    </ActionForm>
                                </section>
                                <details class="card" open=move || device_error.get().is_some()>
                                    <summary>{t.device_missing}</summary>
                                    <ErrorBanner error=device_error/>
                                    <ActionForm action=add_device attr:class="stack">
                                        <DeviceFields error=device_error/>
                                        <button type="submit" class="secondary">{t.device_new}</button>
                                    </ActionForm>
                                </details>
                            }.into_any(),
                        }}
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ReceiptPage() -> impl IntoView {
    view! { <Guard><ReceiptView/></Guard> }
}

#[component]
fn ReceiptView() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let receipt = Resource::new(id, |id| get_receipt(AckId(id)));
    view! {
        <Title text=t.receipt_title/>
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || receipt.get().map(|res| match res {
                Err(e) => view! { <h1>{t.receipt_title}</h1><p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(r) => view! {
                    <div class="receipt">
                        <h1>{t.receipt_title}</h1>
                        <p class="alert alert-success" role="status">{t.receipt_intro}</p>
                        <dl class="facts">
                            <dt>{t.display_name}</dt><dd>{r.user_name.clone()}{r.personnel_no.clone().map(|p| format!(" ({p})"))}</dd>
                            <dt>{t.circular}</dt><dd>{r.number.clone()}": "{r.title.clone()}</dd>
                            <dt>{t.version}</dt><dd>{r.version_no}</dd>
                            <dt>{t.acknowledged_at}</dt><dd>{r.acknowledged_at.clone()}" (Europe/Berlin)"</dd>
                            <dt>{t.content_hash}</dt><dd><code class="hash">{r.content_sha256.clone()}</code></dd>
                            <dt>{t.language}</dt><dd>{r.locale.clone()}</dd>
                            <dt>{t.auth_method}</dt><dd>{crate::auth::AuthMethod::describe(&r.auth_method, use_ctx().locale)}</dd>
                            {r.on_behalf_by.clone().map(|b| view! { <dt>{t.on_behalf_by}</dt><dd>{b}{r.remark.clone().map(|m| format!(" – {m}"))}</dd> })}
                            {r.seal.clone().map(|(seq, hash)| view! { <dt>{t.evidence_seal}</dt><dd>"#"{seq}" – "<code class="hash">{hash}</code></dd> })}
                            <dt>{t.nav_devices}</dt>
                            <dd>{if r.devices.is_empty() { view! { <span>"–"</span> }.into_any() } else { view! {
                                <ul class="plain">{r.devices.iter().map(|d| view! { <li>{d.summary.clone()}": "{d.attestation.label(locale)}</li> }).collect_view()}</ul>
                            }.into_any() }}</dd>
                        </dl>
                        <p class="no-print"><crate::ui::PrintButton label=t.print.to_string()/>" "<a href="/">{t.nav_home}</a></p>
                    </div>
                }.into_any(),
            })}
        </Suspense>
    }
}
