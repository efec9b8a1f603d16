//! The privacy notice (public) with the download of one's own data.
use crate::context::use_ctx;
use crate::i18n::Locale;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PrivacyPage() -> impl IntoView {
    let ctx = use_ctx();
    let t = ctx.locale.texts();
    let me = ctx.user.map(|u| u.id.0);
    let rows: &[(&str, &str, &str)] = match ctx.locale {
        Locale::De => &[
            ("Name, E-Mail, Personalnummer, Organisationseinheit, Rollen", "Anmeldung, Zuordnung der Rundschreiben, Zuständigkeiten", "solange das Beschäftigungsverhältnis besteht"),
            ("Geräte (Art, Bezeichnung, Inventar-/Seriennummer, IMEI, MDM-ID)", "Nachweis, für welche Geräte eine Erklärung abgegeben wurde; Durchsetzung des App-Verbots", "bis zur Außerbetriebnahme, danach als Teil der Nachweise"),
            ("Kenntnisnahmen (Zeitpunkt, Text-Prüfsumme, Sprache, Anmeldeverfahren, Geräteerklärungen)", "Nachweis der Kenntnisnahme dienstlicher Anweisungen", "Aufbewahrungsfrist des Rundschreibens, danach pseudonymisiert"),
            ("Protokoll der Verwaltungsaktionen", "Nachvollziehbarkeit und Revisionssicherheit", "wie die zugehörigen Nachweise"),
        ],
        Locale::En => &[
            ("Name, email, personnel number, org unit, roles", "Sign-in, addressing circulars, responsibilities", "for the duration of employment"),
            ("Devices (kind, label, asset/serial number, IMEI, MDM id)", "Proof of which devices a statement covers; enforcing the app ban", "until retired, then as part of the evidence"),
            ("Acknowledgments (time, text checksum, language, sign-in method, device statements)", "Proof that work instructions were acknowledged", "retention period of the circular, then pseudonymised"),
            ("Audit log of administrative actions", "Accountability and audit", "like the evidence it belongs to"),
        ],
    };
    view! {
        <Title text=t.privacy_title/>
        <h1>{t.privacy_title}</h1>
        <p>{t.privacy_intro}</p>
        <div class="table-wrap"><table>
            <caption>{t.privacy_table}</caption>
            <thead><tr><th scope="col">{t.privacy_data}</th><th scope="col">{t.privacy_purpose}</th><th scope="col">{t.privacy_retention}</th></tr></thead>
            <tbody>{rows.iter().map(|(d, p, r)| view! { <tr><td>{*d}</td><td>{*p}</td><td>{*r}</td></tr> }).collect_view()}</tbody>
        </table></div>
        <p>{t.privacy_rights}</p>
        {me.map(|id| view! { <p><a class="button" href=format!("/privacy/export/{id}") rel="external" download="meine-daten.json">{t.privacy_download}</a></p> })}
    }
}
