//! The Rundschreiben-Portal Leptos crate: pages, components, server functions and domain
//! logic. Everything that touches the database or the HTTP request is behind the `ssr`
//! feature so that none of it reaches the wasm bundle.
#![recursion_limit = "256"]

pub mod accessibility;
pub mod acknowledgments;
pub mod auth;
pub mod circulars;
pub mod compliance;
pub mod context;
pub mod devices;
mod enums;
pub mod error;
pub mod evidence;
pub mod flash;
mod home;
pub mod i18n;
pub mod notifications;
pub mod org;
pub mod shell;
pub mod time;
pub mod tokens;
pub mod tracking;
mod ui;

#[cfg(feature = "ssr")]
pub mod csv;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod streaming;
#[cfg(feature = "ssr")]
pub mod upload;

pub use shell::{shell, App};

/// Entry point of the wasm bundle. Pages are rendered on the server; only the islands
/// (`#[island]` components: the live Markdown preview, the print button and the page marker)
/// run in the browser, which keeps the bundle small.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
