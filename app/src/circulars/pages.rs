//! Publisher pages: the list of circulars, the editor with live preview, and the detail
//! page with the workflow actions and acknowledgment counts.
use super::server_fns::*;
use super::{AckCounts, VersionId, VersionStatus, VersionView};
use crate::auth::Role;
use crate::context::use_ctx;
use crate::error::AppError;
use crate::i18n::Texts;
use crate::time::format_day;
use crate::ui::{error_text, ErrorBanner, Field, Guard, TextArea};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn counts_table(c: AckCounts, t: &'static Texts) -> impl IntoView {
    view! {
        <dl class="counts">
            <div><dt>{t.count_audience}</dt><dd>{c.audience}</dd></div>
            <div><dt>{t.count_acknowledged}</dt><dd>{c.acknowledged}</dd></div>
            <div><dt>{t.count_open}</dt><dd>{c.open}</dd></div>
            <div><dt>{t.count_overdue}</dt><dd>{c.overdue}</dd></div>
        </dl>
    }
}

/// Download links of a version's attachments.
#[component]
pub fn AttachmentList(attachments: Vec<super::AttachmentInfo>) -> impl IntoView {
    let t = use_ctx().locale.texts();
    (!attachments.is_empty()).then(|| view! {
        <h2>{t.attachments}</h2>
        <ul class="plain">
            {attachments.into_iter().map(|a| view! {
                <li><a href=format!("/attachments/{}", a.id) rel="external" download="">{a.filename.clone()}</a>" ("{(a.size_bytes + 1023) / 1024}" KB)"</li>
            }).collect_view()}
        </ul>
    })
}

/// Upload and removal of attachments while a version is a draft.
#[component]
fn AttachmentEditor(version: i64, attachments: Vec<super::AttachmentInfo>) -> impl IntoView {
    use leptos::server_fn::ServerFn;
    let t = use_ctx().locale.texts();
    let uploaded = crate::flash::outcome::<i64>(UploadAttachment::PATH);
    let remove = crate::flash::server_action::<RemoveAttachment>();
    let error = Signal::derive(move || {
        uploaded
            .clone()
            .and_then(|r| r.err())
            .or_else(|| remove.value().get().and_then(|r| r.err()))
    });
    view! {
        <section class="card" aria-labelledby="att-h">
            <h2 id="att-h">{t.attachments}</h2>
            <ul class="plain">
                {attachments.into_iter().map(|a| view! {
                    <li>
                        <a href=format!("/attachments/{}", a.id) rel="external" download="">{a.filename.clone()}</a>" "
                        <ActionForm action=remove attr:class="inline-form">
                            <input type="hidden" name="id" value=a.id.to_string()/>
                            <button type="submit" class="link">{t.remove}<span class="sr-only">": "{a.filename.clone()}</span></button>
                        </ActionForm>
                    </li>
                }).collect_view()}
            </ul>
            <ErrorBanner error=error/>
            <form method="post" action=UploadAttachment::PATH enctype="multipart/form-data" class="stack">
                <input type="hidden" name="version_id" value=version.to_string()/>
                <div class="field">
                    <label for="f-file">{t.attachment_pdf}</label>
                    <input id="f-file" name="file" type="file" accept="application/pdf,.pdf" required aria-describedby="f-file-err"/>
                    <p class="field-error" id="f-file-err">{move || error.get().and_then(|e| e.message_for("file", t.locale))}</p>
                </div>
                <button type="submit" class="secondary">{t.attachment_upload}</button>
            </form>
        </section>
    }
}

#[component]
pub fn CircularsPage() -> impl IntoView {
    view! { <Guard role=Role::Publisher><Circulars/></Guard> }
}

#[component]
fn Circulars() -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let list = Resource::new(|| (), |_| list_circulars());
    view! {
        <Title text=t.circulars_title/>
        <h1>{t.circulars_title}</h1>
        <p><a class="button" href="/circulars/new">{t.circular_new}</a></p>
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || list.get().map(|res| match res {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok(items) if items.is_empty() => view! { <p class="empty">{t.no_results}</p> }.into_any(),
                Ok(items) => view! {
                    <div class="table-wrap"><table>
                        <caption class="sr-only">{t.circulars_title}</caption>
                        <thead><tr>
                            <th scope="col">{t.number}</th><th scope="col">{t.title_label}</th><th scope="col">{t.version}</th><th scope="col">{t.status}</th>
                            <th scope="col">{t.deadline}</th><th scope="col">{t.count_audience}</th><th scope="col">{t.count_acknowledged}</th>
                            <th scope="col">{t.count_open}</th><th scope="col">{t.count_overdue}</th>
                        </tr></thead>
                        <tbody>{items.into_iter().map(|c| {
                            let n = c.counts.unwrap_or_default();
                            let has = c.counts.is_some();
                            view! {
                                <tr>
                                    <td><a href=format!("/circulars/{}", c.version_id.0)>{c.number.clone()}</a></td>
                                    <td>{c.title.clone()}</td><td class="num">{c.version_no}</td><td>{c.status.label(locale)}</td>
                                    <td>{format_day(&c.ack_deadline, locale)}</td>
                                    {if c.counting {
                                        view! { <td colspan="4" class="counting">{t.counts_pending}</td> }.into_any()
                                    } else {
                                        view! {
                                            <td class="num">{has.then_some(n.audience)}</td><td class="num">{has.then_some(n.acknowledged)}</td>
                                            <td class="num">{has.then_some(n.open)}</td><td class="num">{has.then_some(n.overdue)}</td>
                                        }.into_any()
                                    }}
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn CircularNewPage() -> impl IntoView {
    view! { <Guard role=Role::Publisher><Editor version=None/></Guard> }
}

#[component]
pub fn CircularEditPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let data = Resource::new(id, |id| get_version(VersionId(id)));
    let t = use_ctx().locale.texts();
    view! {
        <Guard role=Role::Publisher>
            <Suspense fallback=move || view! { <p>{t.loading}</p> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                    Ok((v, _)) => view! { <Editor version=Some(v)/> }.into_any(),
                })}
            </Suspense>
        </Guard>
    }
}

#[component]
fn Editor(version: Option<VersionView>) -> impl IntoView {
    let locale = use_ctx().locale;
    let t = locale.texts();
    let save = crate::flash::server_action::<SaveCircular>();
    let units = Resource::new(|| (), |_| audience_units());
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let v = version.clone();
    // After a failed post the form shows what was typed (see `flash`), else the draft.
    let body = crate::flash::submitted("form[body_md]")
        .or_else(|| v.as_ref().map(|v| v.body_md.clone()))
        .unwrap_or_default();
    let preview = Resource::new(
        move || body.clone(),
        |text| async move {
            if text.trim().is_empty() {
                Ok(String::new())
            } else {
                preview_markdown(text).await
            }
        },
    );
    let audience = |name: &str, include_subunits: bool| -> Vec<i64> {
        match crate::flash::submitted_all(name) {
            Some(ids) => ids.iter().filter_map(|s| s.parse().ok()).collect(),
            None => v
                .as_ref()
                .map(|v| {
                    v.audience
                        .iter()
                        .filter(|a| a.include_subunits == include_subunits)
                        .map(|a| a.unit_id.0)
                        .collect()
                })
                .unwrap_or_default(),
        }
    };
    let subtree = audience("form[audience_subtree][]", true);
    let exact = audience("form[audience_unit][]", false);
    let whole_city = match crate::flash::submitted_all("form[whole_city]") {
        Some(values) => !values.is_empty(),
        None => v.as_ref().is_none_or(|v| v.whole_city),
    };
    let msg = move |f: &'static str| {
        move || {
            error
                .get()
                .and_then(|e| e.message_for(f, t.locale))
                .map(|m| view! { <p class="field-error" id=format!("f-{f}-err")>{m}</p> })
        }
    };
    let heading = if v.is_some() {
        t.circular_edit
    } else {
        t.circular_new
    };
    view! {
        <Title text=heading/>
        <h1>{heading}</h1>
        <ErrorBanner error=error/>
        <ActionForm action=save attr:class="editor">
            <input type="hidden" name="form[version_id]" value=v.as_ref().map(|v| v.id.0.to_string()).unwrap_or_default()/>
            <div class="stack">
                <Field label=t.number name="form[number]" key="number" error=error value=v.as_ref().map(|v| v.number.clone()).unwrap_or_default() required=true maxlength=30 hint="RS 2026/17"/>
                <Field label=t.title_label name="form[title]" key="title" error=error value=v.as_ref().map(|v| v.title.clone()).unwrap_or_default() required=true maxlength=200/>
                <TextArea label=t.summary_label name="form[summary]" key="summary" error=error value=v.as_ref().map(|v| v.summary.clone()).unwrap_or_default() required=true rows=3 maxlength=1000/>
                <TextArea label=t.body_label name="form[body_md]" key="body_md" error=error value=v.as_ref().map(|v| v.body_md.clone()).unwrap_or_default() required=true rows=14/>
                <div class="field-row">
                    <Field label=t.effective_on name="form[effective_on]" key="effective_on" error=error kind="date" value=v.as_ref().map(|v| v.effective_on.clone()).unwrap_or_default() required=true/>
                    <Field label=t.deadline name="form[ack_deadline]" key="ack_deadline" error=error kind="date" value=v.as_ref().map(|v| v.ack_deadline.clone()).unwrap_or_default() required=true/>
                </div>
                <fieldset>
                    <legend>{t.audience}</legend>
                    <div class="checkbox">
                        <input type="checkbox" id="f-whole_city" name="form[whole_city]" checked=whole_city/>
                        <label for="f-whole_city">{t.whole_city}</label>
                    </div>
                    <Transition>
                        {move || units.get().and_then(|r| r.ok()).map(|list| {
                            let opts = |selected: &Vec<i64>| list.iter().map(|u| {
                                let label = format!("{}{} ({})", "\u{2003}".repeat(u.depth()), u.name, u.code);
                                view! { <option value=u.id.0.to_string() selected=selected.contains(&u.id.0)>{label}</option> }
                            }).collect_view();
                            view! {
                                <div class="field">
                                    <label for="f-audience_subtree">{t.audience_subtree}</label>
                                    <select id="f-audience_subtree" name="form[audience_subtree][]" multiple size="6" aria-describedby="f-aud-hint">{opts(&subtree)}</select>
                                </div>
                                <div class="field">
                                    <label for="f-audience_unit">{t.audience_unit}</label>
                                    <select id="f-audience_unit" name="form[audience_unit][]" multiple size="4" aria-describedby="f-aud-hint">{opts(&exact)}</select>
                                    <p class="hint" id="f-aud-hint">{t.multi_select_hint}</p>
                                </div>
                            }
                        })}
                    </Transition>
                    {msg("audience")}
                </fieldset>
                <TextArea label=t.apps_label name="form[apps]" key="apps" error=error rows=6 maxlength=20_000 hint=t.apps_hint
                    value=v.as_ref().map(|v| super::rules::format_apps(&v.apps)).unwrap_or_default()/>
                <Field label=t.retention_label name="form[retention_years]" key="retention_years" error=error kind="number" maxlength=2 hint=t.retention_hint
                    value=v.as_ref().map(|v| v.retention_years.to_string()).unwrap_or_else(|| super::rules::RETENTION_YEARS_DEFAULT.to_string())/>
                <button type="submit">{t.save_draft}</button>
            </div>
            <section class="preview" aria-labelledby="preview-h" aria-live="polite">
                <h2 id="preview-h">{t.preview}</h2>
                <Transition>
                    {move || preview.get().map(|r| {
                        let (html, problem) = match r {
                            Ok(html) => (html, None),
                            Err(e) => (String::new(), Some(e.message_for("body_md", t.locale).unwrap_or_else(|| error_text(&e, t)))),
                        };
                        view! { <MarkdownPreview source="f-body_md".to_string() html problem locale/> }
                    })}
                </Transition>
            </section>
        </ActionForm>
    }
}

/// The editor's live preview: renders the Markdown of the textarea `source` as readers will
/// see it (by the server, which also says why a text cannot be saved) while it is typed.
/// The only island of the editor: the rest of the form is plain HTML.
#[island]
fn MarkdownPreview(
    source: String,
    html: String,
    problem: Option<String>,
    locale: crate::i18n::Locale,
) -> impl IntoView {
    let html = RwSignal::new(html);
    let problem = RwSignal::new(problem);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        // Answers can arrive out of order; only the latest text's preview is shown.
        let latest = StoredValue::new(0u64);
        let handle = window_event_listener(leptos::ev::input, move |ev| {
            let from_source = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| el.id() == source);
            if !from_source {
                return;
            }
            let text = event_target_value(&ev);
            let n = latest.get_value() + 1;
            latest.set_value(n);
            leptos::task::spawn_local(async move {
                let answer = if text.trim().is_empty() {
                    Ok(String::new())
                } else {
                    preview_markdown(text).await
                };
                if latest.get_value() != n {
                    return;
                }
                match answer {
                    Ok(h) => {
                        html.set(h);
                        problem.set(None);
                    }
                    Err(e) => {
                        problem.set(Some(e.message_for("body_md", locale).unwrap_or_default()));
                    }
                }
            });
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (source, locale);
    view! {
        <div class="body" inner_html=move || html.get()></div>
        {move || problem.get().map(|m| view! { <p class="field-error">{m}</p> })}
    }
}

#[component]
pub fn CircularDetailPage() -> impl IntoView {
    view! { <Guard role=Role::Publisher><Detail/></Guard> }
}

#[component]
fn Detail() -> impl IntoView {
    let ctx = use_ctx();
    let locale = ctx.locale;
    let t = locale.texts();
    let me = ctx.user.map(|u| u.id);
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let flow = crate::flash::server_action::<Workflow>();
    let newv = crate::flash::server_action::<NewVersion>();
    let data = Resource::new(id, |id| get_version(VersionId(id)));
    let error = Signal::derive(move || {
        flow.value().get().and_then(|r| r.err()).or_else(|| {
            newv.value()
                .get()
                .and_then(|r: Result<_, AppError>| r.err())
        })
    });
    let action_button =
        move |vid: i64, action: &'static str, label: &'static str, class: &'static str| {
            view! {
                <ActionForm action=flow attr:class="inline-form">
                    <input type="hidden" name="id" value=vid.to_string()/>
                    <input type="hidden" name="action" value=action/>
                    <button type="submit" class=class>{label}</button>
                </ActionForm>
            }
        };
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || data.get().map(|res| match res {
                Err(e) => view! { <h1>{t.err_not_found}</h1><p class="alert alert-error" role="alert">{error_text(&e, t)}</p> }.into_any(),
                Ok((v, counts)) => {
                    let vid = v.id.0;
                    let own = me == Some(v.author_id);
                    view! {
                        <Title text=format!("{} – {}", v.number, v.title)/>
                        <p class="meta">{v.number.clone()}" · "{t.version}" "{v.version_no}" · "<strong>{v.status.label(locale)}</strong></p>
                        <h1>{v.title.clone()}</h1>
                        <ErrorBanner error=error/>
                        {move || error.get().and_then(|e| e.message_for("status", t.locale).or_else(|| e.message_for("effective_on", t.locale)).or_else(|| e.message_for("ack_deadline", t.locale)).or_else(|| e.message_for("audience", t.locale)))
                            .map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> })}
                        {counts.map(|c| counts_table(c, t))}
                        <div class="actions">
                            {match v.status {
                                VersionStatus::Draft => view! {
                                    <a class="button" href=format!("/circulars/{vid}/edit")>{t.edit}</a>
                                    {action_button(vid, "submit", t.submit_review, "")}
                                }.into_any(),
                                VersionStatus::InReview => view! {
                                    {action_button(vid, "return", t.return_draft, "secondary")}
                                    {(!own).then(|| action_button(vid, "publish", t.approve_publish, ""))}
                                    {own.then(|| view! { <p class="hint">{t.four_eyes_hint}</p> })}
                                }.into_any(),
                                VersionStatus::Published => view! {
                                    <ActionForm action=newv attr:class="inline-form">
                                        <input type="hidden" name="id" value=vid.to_string()/>
                                        <input type="hidden" name="kind" value="material"/>
                                        <button type="submit" class="secondary">{t.new_material}</button>
                                    </ActionForm>
                                    <ActionForm action=newv attr:class="inline-form">
                                        <input type="hidden" name="id" value=vid.to_string()/>
                                        <input type="hidden" name="kind" value="editorial"/>
                                        <button type="submit" class="secondary">{t.new_editorial}</button>
                                    </ActionForm>
                                    {action_button(vid, "withdraw", t.withdraw, "secondary")}
                                }.into_any(),
                                _ => ().into_any(),
                            }}
                        </div>
                        <dl class="facts">
                            <dt>{t.effective_on}</dt><dd>{format_day(&v.effective_on, locale)}</dd>
                            <dt>{t.deadline}</dt><dd>{format_day(&v.ack_deadline, locale)}</dd>
                            <dt>{t.audience}</dt><dd>{if v.whole_city { t.whole_city.to_string() } else {
                                v.audience.iter().map(|a| if a.include_subunits { format!("{} (+)", a.unit_name) } else { a.unit_name.clone() }).collect::<Vec<_>>().join(", ")
                            }}</dd>
                            <dt>{t.retention_label}</dt><dd>{v.retention_years}</dd>
                            <dt>{t.author}</dt><dd>{v.author_name.clone()}</dd>
                            {v.approver_name.clone().map(|a| view! { <dt>{t.approver}</dt><dd>{a}</dd> })}
                            {v.published_at.clone().map(|p| view! { <dt>{t.published_at}</dt><dd>{p}</dd> })}
                            {v.content_sha256.clone().map(|h| view! { <dt>{t.content_hash}</dt><dd><code class="hash">{h}</code></dd> })}
                        </dl>
                        {if v.status == VersionStatus::Draft {
                            view! { <AttachmentEditor version=vid attachments=v.attachments.clone()/> }.into_any()
                        } else {
                            view! { <AttachmentList attachments=v.attachments.clone()/> }.into_any()
                        }}
                        <p class="summary">{v.summary.clone()}</p>
                        <div class="body" inner_html=v.body_html.clone()></div>
                        {(!v.apps.is_empty()).then(|| view! {
                            <h2>{t.prohibited_apps}</h2>
                            <ul>{v.apps.iter().map(|a| view! { <li>{a.display_name.clone()}" – "{a.platform.as_str()}" "<code>{a.app_identifier.clone()}</code></li> }).collect_view()}</ul>
                        })}
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
