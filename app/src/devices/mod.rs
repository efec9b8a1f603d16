//! Devices employees use for work: self-service registration on "My devices", admin view
//! of all devices, and the identifiers (IMEI, MDM id) that inventory reports match on.
use crate::i18n::Locale;
use crate::org::UserId;
use serde::{Deserialize, Serialize};

pub mod pages;
pub mod rules;
mod server_fns;
pub use server_fns::*;

#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
pub struct DeviceId(pub i64);

crate::str_enum! {
    pub enum DeviceKind { Phone => "phone", Tablet => "tablet", Laptop => "laptop", Desktop => "desktop" }
}
crate::str_enum! {
    pub enum Ownership { Service => "service", Private => "private" }
}
crate::str_enum! {
    pub enum Platform { Android => "android", Ios => "ios", Windows => "windows", Macos => "macos", Linux => "linux", Other => "other" }
}

impl DeviceKind {
    /// What an MDM-managed device of this platform most likely is, when nobody said.
    pub fn default_for(platform: Platform) -> DeviceKind {
        match platform {
            Platform::Windows | Platform::Macos | Platform::Linux => DeviceKind::Laptop,
            _ => DeviceKind::Phone,
        }
    }

    pub fn label(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (DeviceKind::Phone, Locale::De) => "Smartphone",
            (DeviceKind::Phone, Locale::En) => "Phone",
            (DeviceKind::Tablet, _) => "Tablet",
            (DeviceKind::Laptop, _) => "Laptop",
            (DeviceKind::Desktop, Locale::De) => "Arbeitsplatzrechner",
            (DeviceKind::Desktop, Locale::En) => "Desktop",
        }
    }
}

impl Ownership {
    pub fn label(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Ownership::Service, Locale::De) => "dienstlich",
            (Ownership::Service, Locale::En) => "service",
            (Ownership::Private, Locale::De) => "privat",
            (Ownership::Private, Locale::En) => "private",
        }
    }
}

impl Platform {
    pub fn label(self, _locale: Locale) -> &'static str {
        match self {
            Platform::Android => "Android",
            Platform::Ios => "iOS / iPadOS",
            Platform::Windows => "Windows",
            Platform::Macos => "macOS",
            Platform::Linux => "Linux",
            Platform::Other => "Other / Sonstiges",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: DeviceId,
    pub owner_id: UserId,
    pub owner_name: String,
    pub kind: DeviceKind,
    pub ownership: Ownership,
    pub platform: Platform,
    pub label: String,
    pub asset_tag: Option<String>,
    pub serial: Option<String>,
    pub imei: Option<String>,
    pub mdm_id: Option<String>,
    pub retired: bool,
    /// An MDM reported it or an admin imported it: its owner cannot change its identity
    /// (see `rules::owner_may_change`).
    pub managed: bool,
}

/// Raw form input; parsed by `rules::parse_device`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceForm {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub ownership: String,
    #[serde(default)]
    pub platform: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub asset_tag: String,
    #[serde(default)]
    pub serial: String,
    #[serde(default)]
    pub imei: String,
    #[serde(default)]
    pub mdm_id: String,
}
