//! The home page: what is due for the signed-in employee, overdue first, and their history.
use crate::context::use_ctx;
use crate::ui::Guard;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Guard>
            {move || {
                let ctx = use_ctx();
                let t = ctx.locale.texts();
                let name = ctx.user.map(|u| u.display_name).unwrap_or_default();
                view! {
                    <Title text=t.home_title/>
                    <h1>{t.home_greeting}", "{name}</h1>
                    <crate::acknowledgments::pages::InboxSection/>
                }
            }}
        </Guard>
    }
}
