//! Small shared UI pieces: form fields with accessible error messages, error banners and
//! the page guard.
use crate::auth::Role;
use crate::context::use_ctx;
use crate::error::AppError;
use crate::i18n::Texts;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

/// The texts of the current language.
pub fn use_texts() -> &'static Texts {
    use_ctx().locale.texts()
}

/// Message for a whole-form error (validation details are shown at the fields).
pub fn error_text(err: &AppError, t: &'static Texts) -> String {
    match err {
        AppError::Unauthorized => t.err_unauthorized.into(),
        AppError::Forbidden => t.err_forbidden.into(),
        AppError::NotFound => t.err_not_found.into(),
        AppError::Validation(errors) => {
            // Errors without a visible field (e.g. "active") are spelled out here.
            let extra: Vec<String> = errors
                .iter()
                .filter(|e| matches!(e.field.as_str(), "active" | "id" | "file" | "result"))
                .map(|e| e.message(t.locale))
                .collect();
            if extra.is_empty() {
                t.err_validation.into()
            } else {
                extra.join(" ")
            }
        }
        AppError::Internal => t.err_internal.into(),
        AppError::Transport(_) => t.err_transport.into(),
    }
}

/// The element id of the input for validation key `key` (see [`Field`]).
pub fn field_id(key: &str) -> String {
    format!("f-{}", key.replace(['[', ']'], "-"))
}

/// An alert for a failed action; announced by screen readers. For invalid input it is an
/// error summary (WCAG 3.3.1) linking to each field with its message; after a failed post
/// the page marker (see `shell`) moves the focus to it, so keyboard and screen-reader users
/// land on the problem.
#[component]
pub fn ErrorBanner(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let t = use_texts();
    move || {
        error.get().map(|e| {
            let links = match &e {
                AppError::Validation(fields) => fields
                    .iter()
                    .map(|f| {
                        view! { <li><a href=format!("#{}", field_id(&f.field)) rel="external">{f.message(t.locale)}</a></li> }
                    })
                    .collect::<Vec<_>>(),
                _ => vec![],
            };
            view! {
                <div class="alert alert-error error-summary" role="alert" tabindex="-1">
                    <p>{error_text(&e, t)}</p>
                    {(!links.is_empty()).then(|| view! { <ul>{links}</ul> })}
                </div>
            }
        })
    }
}

/// A labelled input whose error message is tied to it with `aria-describedby`.
#[component]
pub fn Field(
    #[prop(into)] label: String,
    /// Form field name, e.g. `form[email]`.
    #[prop(into)]
    name: String,
    /// Field key in validation errors, e.g. `email`.
    #[prop(into)]
    key: String,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional, into)] value: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = 200)] maxlength: usize,
) -> impl IntoView {
    let id = field_id(&key);
    let err_id = format!("{id}-err");
    let hint_id = format!("{id}-hint");
    let key2 = key.clone();
    let locale = use_ctx().locale;
    let message = Memo::new(move |_| error.get().and_then(|e| e.message_for(&key2, locale)));
    let described = described_by(
        hint.is_some().then(|| hint_id.clone()),
        err_id.clone(),
        message,
    );
    // After a failed post the field shows what was typed (passwords are never kept).
    let value = crate::flash::submitted(&name).unwrap_or(value);
    let invalid = move || message.get().is_some().then_some("true");
    view! {
        <div class="field">
            <label for=id.clone()>{label}{required.then_some(" *")}</label>
            <input
                id=id.clone()
                name=name
                type=kind
                value=value
                required=required
                maxlength=maxlength
                autocomplete=autocomplete
                aria-invalid=invalid
                aria-describedby=described
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            {move || message.get().map(|m| view! { <p class="field-error" id=err_id.clone()>{m}</p> })}
        </div>
    }
}

/// Shows `children` only to a signed-in user holding `role` (any role when `None`); sends
/// others to the sign-in page or shows "forbidden". The server functions check again: this
/// guard is for the user, not for security.
#[component]
pub fn Guard(#[prop(optional)] role: Option<Role>, children: ChildrenFn) -> impl IntoView {
    let ctx = use_ctx();
    let t = ctx.locale.texts();
    let location = use_location();
    match ctx.user {
        None => {
            let next = location.pathname.get_untracked();
            let path = format!(
                "/login?next={}",
                next.replace('&', "%26").replace('?', "%3F")
            );
            view! { <Redirect path=path/> }.into_any()
        }
        Some(user) if role.is_some_and(|r| !user.has_role(r)) => {
            #[cfg(feature = "ssr")]
            if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
                opts.set_status(http::StatusCode::FORBIDDEN);
            }
            view! {
                <h1>{t.err_forbidden}</h1>
            }
            .into_any()
        }
        Some(_) => children().into_any(),
    }
}

/// A labelled textarea with its error message, like [`Field`].
#[component]
pub fn TextArea(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    #[prop(into)] key: String,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional, into)] value: String,
    #[prop(optional)] required: bool,
    #[prop(default = 4)] rows: usize,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = 100_000)] maxlength: usize,
) -> impl IntoView {
    let id = format!("f-{key}");
    let err_id = format!("{id}-err");
    let hint_id = format!("{id}-hint");
    let key2 = key.clone();
    let locale = use_ctx().locale;
    let message = Memo::new(move |_| error.get().and_then(|e| e.message_for(&key2, locale)));
    let described = described_by(
        hint.is_some().then(|| hint_id.clone()),
        err_id.clone(),
        message,
    );
    let value = crate::flash::submitted(&name).unwrap_or(value);
    view! {
        <div class="field">
            <label for=id.clone()>{label}{required.then_some(" *")}</label>
            <textarea id=id.clone() name=name rows=rows required=required maxlength=maxlength
                aria-invalid=move || message.get().map(|_| "true") aria-describedby=described
            >{value}</textarea>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            {move || message.get().map(|m| view! { <p class="field-error" id=err_id.clone()>{m}</p> })}
        </div>
    }
}

/// The `aria-describedby` value of a field: its hint (if any) and its error (when shown).
fn described_by(
    hint_id: Option<String>,
    err_id: String,
    message: Memo<Option<String>>,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    move || {
        let ids: Vec<String> = hint_id
            .iter()
            .cloned()
            .chain(message.get().map(|_| err_id.clone()))
            .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// A CSV upload form posting (as multipart data) to the server function at `action_url`;
/// the page shows the report from the flash (see `flash::outcome`).
#[component]
pub fn CsvUploadForm(
    action_url: &'static str,
    /// Id of the file input (unique on the page).
    input_id: &'static str,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <form method="post" action=action_url enctype="multipart/form-data" class="stack">
            <div class="field">
                <label for=input_id>{t.import_file}</label>
                <input id=input_id name="file" type="file" accept=".csv,text/csv" required/>
            </div>
            <button type="submit">{t.import_submit}</button>
        </form>
    }
}

/// Links to other pages of a list (shown only when there are any): `first` back to the
/// beginning, `previous` and `next`. Named for screen readers with `label`.
#[component]
pub fn Pager(
    label: &'static str,
    #[prop(default = None)] first: Option<String>,
    #[prop(default = None)] previous: Option<String>,
    #[prop(default = None)] next: Option<String>,
) -> impl IntoView {
    let t = use_ctx().locale.texts();
    (first.is_some() || previous.is_some() || next.is_some()).then(|| {
        view! {
            <nav class="pager no-print" aria-label=label>
                {first.map(|href| view! { <a href=href>{t.first_page}</a>" " })}
                {previous.map(|href| view! { <a href=href rel="prev">{t.previous_page}</a>" " })}
                {next.map(|href| view! { <a href=href rel="next">{t.next_page}</a> })}
            </nav>
        }
    })
}

/// Opens the browser's print dialog: an island, because the CSP allows no inline event
/// handlers and the rest of the page runs no code in the browser.
#[island]
pub fn PrintButton(label: String) -> impl IntoView {
    let print = |_: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! { <button type="button" class="secondary" on:click=print>{label}</button> }
}

/// A value for a link's query string, percent-encoded (RFC 3986 unreserved characters
/// stay as they are).
pub fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::query_value;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("Müller & Co#1"), "M%C3%BCller%20%26%20Co%231");
        assert_eq!(query_value("P-4711_a.b~"), "P-4711_a.b~");
    }
}
