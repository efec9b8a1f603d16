//! "My devices" for every employee and the admin device list.
use super::server_fns::*;
use super::{Device, DeviceId, DeviceKind, Ownership, Platform};
use crate::auth::Role;
use crate::context::use_ctx;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::ui::{error_text, ErrorBanner, Field, Guard};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn select_options<T: Copy + PartialEq + 'static>(
    all: &'static [T],
    name: &str,
    selected: Option<T>,
    code: fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> impl IntoView {
    // After a failed post the select shows what was chosen.
    let selected = crate::flash::chosen(name, all, code, selected);
    all.iter()
        .map(
            |v| view! { <option value=code(*v) selected=Some(*v) == selected>{label(*v)}</option> },
        )
        .collect_view()
}

/// The fields of the device form. `locked`: the owner edits a device that the MDM or an
/// admin import manages, so its identity (kind, ownership, platform, serial, IMEI, MDM id)
/// is shown read-only and sent back unchanged; only admins change it.
#[component]
pub fn DeviceFields(
    #[prop(default = None)] device: Option<Device>,
    error: Signal<Option<AppError>>,
    #[prop(optional)] locked: bool,
) -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let d = device.clone();
    let msg = move |f: &'static str| move || error.get().and_then(|e| e.message_for(f, t.locale));
    let label_field = view! {
        <input type="hidden" name="form[id]" value=d.as_ref().map(|d| d.id.0.to_string()).unwrap_or_default()/>
        <Field label=t.device_label name="form[label]" key="label" error=error value=d.as_ref().map(|d| d.label.clone()).unwrap_or_default() required=true maxlength=80 hint=t.device_label_hint/>
    };
    if let Some(dev) = d.clone().filter(|_| locked) {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        return view! {
            {label_field}
            <p class="alert alert-info" id="f-managed-hint">{t.device_managed_hint}</p>
            <dl class="facts" aria-describedby="f-managed-hint">
                <dt>{t.device_kind}</dt><dd>{dev.kind.label(locale)}</dd>
                <dt>{t.device_ownership}</dt><dd>{dev.ownership.label(locale)}</dd>
                <dt>{t.device_platform}</dt><dd>{dev.platform.label(locale)}</dd>
                <dt>{t.device_serial}</dt><dd>{opt(&dev.serial)}</dd>
                <dt>"IMEI"</dt><dd>{opt(&dev.imei)}</dd>
                <dt>{t.device_mdm_id}</dt><dd>{opt(&dev.mdm_id)}</dd>
            </dl>
            <input type="hidden" name="form[kind]" value=dev.kind.as_str()/>
            <input type="hidden" name="form[ownership]" value=dev.ownership.as_str()/>
            <input type="hidden" name="form[platform]" value=dev.platform.as_str()/>
            <input type="hidden" name="form[serial]" value=opt(&dev.serial)/>
            <input type="hidden" name="form[imei]" value=opt(&dev.imei)/>
            <input type="hidden" name="form[mdm_id]" value=opt(&dev.mdm_id)/>
            <Field label=t.device_asset_tag name="form[asset_tag]" key="asset_tag" error=error value=opt(&dev.asset_tag) maxlength=64/>
        }
        .into_any();
    }
    // Open when the device has identifiers, or a failed post typed or got an error in one.
    let identifiers = ["serial", "imei", "mdm_id", "asset_tag"];
    let identifiers_open = d
        .as_ref()
        .is_some_and(|d| d.imei.is_some() || d.mdm_id.is_some() || d.asset_tag.is_some())
        || identifiers.iter().any(|f| {
            crate::flash::submitted(&format!("form[{f}]")).is_some_and(|v| !v.trim().is_empty())
                || error
                    .get_untracked()
                    .is_some_and(|e| e.message_for(f, locale).is_some())
        });
    view! {
        {label_field}
        <div class="field-row">
            <div class="field">
                <label for="f-dkind">{t.device_kind}</label>
                <select id="f-dkind" name="form[kind]">{select_options(DeviceKind::ALL, "form[kind]", d.as_ref().map(|d| d.kind), DeviceKind::as_str, move |k| k.label(locale))}</select>
            </div>
            <div class="field">
                <label for="f-downership">{t.device_ownership}</label>
                <select id="f-downership" name="form[ownership]">{select_options(Ownership::ALL, "form[ownership]", d.as_ref().map(|d| d.ownership), Ownership::as_str, move |k| k.label(locale))}</select>
            </div>
            <div class="field">
                <label for="f-dplatform">{t.device_platform}</label>
                <select id="f-dplatform" name="form[platform]">{select_options(Platform::ALL, "form[platform]", d.as_ref().map(|d| d.platform), Platform::as_str, move |k| k.label(locale))}</select>
                {move || msg("platform")().map(|m| view! { <p class="field-error">{m}</p> })}
            </div>
        </div>
        <details open=identifiers_open>
            <summary>{t.device_identifiers}</summary>
            <Field label=t.device_asset_tag name="form[asset_tag]" key="asset_tag" error=error value=d.as_ref().and_then(|d| d.asset_tag.clone()).unwrap_or_default() maxlength=64/>
            <Field label=t.device_serial name="form[serial]" key="serial" error=error value=d.as_ref().and_then(|d| d.serial.clone()).unwrap_or_default() maxlength=64/>
            <Field label="IMEI" name="form[imei]" key="imei" error=error value=d.as_ref().and_then(|d| d.imei.clone()).unwrap_or_default() maxlength=20 hint=t.device_imei_hint/>
            <Field label=t.device_mdm_id name="form[mdm_id]" key="mdm_id" error=error value=d.as_ref().and_then(|d| d.mdm_id.clone()).unwrap_or_default() maxlength=64/>
        </details>
    }
    .into_any()
}

pub fn device_summary(d: &Device, locale: Locale) -> String {
    let mut s = format!(
        "{} – {}, {}, {}",
        d.label,
        d.kind.label(locale),
        d.platform.label(locale),
        d.ownership.label(locale)
    );
    if let Some(imei) = &d.imei {
        s.push_str(&format!(", IMEI {imei}"));
    }
    s
}

#[component]
pub fn MyDevicesPage() -> impl IntoView {
    view! { <Guard><MyDevices/></Guard> }
}

#[component]
fn MyDevices() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let query = use_query_map();
    let editing = move || query.with(|q| q.get("edit").and_then(|s| s.parse::<i64>().ok()));
    let save = crate::flash::server_action::<SaveDevice>();
    let retire = crate::flash::server_action::<RetireDevice>();
    let devices = Resource::new(|| (), |_| my_devices());
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    view! {
        <Title text=t.devices_title/>
        <h1>{t.devices_title}</h1>
        <p>{t.devices_intro}</p>
        <crate::compliance::pages::MyComplianceNotice/>
        <Transition fallback=move || view! { <p>{t.loading}</p> }>
            {move || devices.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(list) => {
                    let edit = editing().and_then(|id| list.iter().find(|d| d.id.0 == id && !d.retired).cloned());
                    let rows = list.clone().into_iter().map(|d| {
                        let id = d.id.0;
                        let label = d.label.clone();
                        let label2 = d.label.clone();
                        view! {
                            <tr class:inactive=d.retired>
                                <td>{d.label.clone()}</td>
                                <td>{d.kind.label(locale)}</td>
                                <td>{d.platform.label(locale)}</td>
                                <td>{d.ownership.label(locale)}</td>
                                <td>{d.imei.clone().unwrap_or_default()}</td>
                                <td>{d.mdm_id.clone().unwrap_or_default()}</td>
                                <td>{if d.retired { view! { <span>{t.device_retired}</span> }.into_any() } else { view! {
                                    <a href=format!("/devices?edit={id}")>{t.edit}<span class="sr-only">": "{label}</span></a>" "
                                    <ActionForm action=retire attr:class="inline-form">
                                        <input type="hidden" name="id" value=id.to_string()/>
                                        <button type="submit" class="link">{t.device_retire}<span class="sr-only">": "{label2}</span></button>
                                    </ActionForm>
                                }.into_any() }}</td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        {if list.is_empty() { view! { <p class="empty">{t.devices_none}</p> }.into_any() } else { view! {
                            <div class="table-wrap"><table>
                                <caption class="sr-only">{t.devices_title}</caption>
                                <thead><tr>
                                    <th scope="col">{t.device_label}</th><th scope="col">{t.device_kind}</th><th scope="col">{t.device_platform}</th>
                                    <th scope="col">{t.device_ownership}</th><th scope="col">"IMEI"</th><th scope="col">{t.device_mdm_id}</th><th scope="col">{t.actions}</th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table></div>
                        }.into_any() }}
                        <section class="card" aria-labelledby="dev-form-h">
                            <h2 id="dev-form-h">{if edit.is_some() { t.device_edit } else { t.device_new }}</h2>
                            {move || saved().then(|| view! { <p class="alert alert-success" role="status">{t.saved}</p> })}
                            <ErrorBanner error=error/>
                            <ActionForm action=save attr:class="stack">
                                <DeviceFields device=edit.clone() locked=edit.as_ref().is_some_and(|d| d.managed) error=error/>
                                <button type="submit">{t.save}</button>
                            </ActionForm>
                        </section>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
pub fn AdminDevicesPage() -> impl IntoView {
    view! { <Guard role=Role::Admin><AdminDevices/></Guard> }
}

#[component]
fn AdminDevices() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q")).unwrap_or_default();
    let devices = Resource::new(q, search_devices);
    view! {
        <Title text=t.nav_all_devices/>
        <h1>{t.nav_all_devices}</h1>
        <form method="get" action="/admin/devices" class="search" role="search">
            <label for="dev-q">{t.search}</label>
            <input id="dev-q" name="q" type="search" value=q maxlength="100"/>
            <button type="submit">{t.search}</button>
        </form>
        <Transition fallback=move || view! { <p>{t.loading}</p> }>
            {move || devices.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="empty">{t.no_results}</p> }.into_any(),
                Ok(list) => view! {
                    <div class="table-wrap"><table>
                        <caption class="sr-only">{t.nav_all_devices}</caption>
                        <thead><tr><th scope="col">{t.display_name}</th><th scope="col">{t.device_label}</th><th scope="col">{t.device_platform}</th><th scope="col">"IMEI"</th><th scope="col">{t.device_mdm_id}</th><th scope="col">{t.status}</th></tr></thead>
                        <tbody>{list.into_iter().map(|d| view! {
                            <tr class:inactive=d.retired>
                                <td><a href=format!("/admin/users/{}", d.owner_id.0)>{d.owner_name.clone()}</a></td>
                                <td><a href=format!("/admin/devices/{}", d.id.0)>{d.label.clone()}</a></td><td>{d.platform.label(locale)}</td>
                                <td>{d.imei.clone().unwrap_or_default()}</td><td>{d.mdm_id.clone().unwrap_or_default()}</td>
                                <td>{if d.retired { t.device_retired } else { t.active }}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
pub fn AdminDeviceEditPage() -> impl IntoView {
    view! { <Guard role=Role::Admin><AdminDeviceEdit/></Guard> }
}

#[component]
fn AdminDeviceEdit() -> impl IntoView {
    let t = use_ctx().locale.texts();
    let params = leptos_router::hooks::use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let save = crate::flash::server_action::<SaveDevice>();
    let device = Resource::new(id, |id| get_device(DeviceId(id)));
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    view! {
        <Title text=t.device_edit/>
        <p><a href="/admin/devices">{t.back_to_list}</a></p>
        <h1>{t.device_edit}</h1>
        <Transition fallback=move || view! { <p>{t.loading}</p> }>
            {move || device.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(d) => view! {
                    <p>{t.display_name}": "<a href=format!("/admin/users/{}", d.owner_id.0)>{d.owner_name.clone()}</a></p>
                    {move || saved().then(|| view! { <p class="alert alert-success" role="status">{t.saved}</p> })}
                    <ErrorBanner error=error/>
                    <ActionForm action=save attr:class="stack card">
                        <DeviceFields device=Some(d) error=error/>
                        <button type="submit">{t.save}</button>
                    </ActionForm>
                }.into_any(),
            })}
        </Transition>
    }
}
