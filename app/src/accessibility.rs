//! "Erklärung zur Barrierefreiheit": the accessibility statement that BITV 2.0 (§ 12b BGG,
//! which covers intranets of federal and — via the state laws — municipal bodies) requires,
//! public and linked in the footer of every page.
use crate::context::use_ctx;
use crate::i18n::Locale;
use leptos::prelude::*;
use leptos_meta::Title;

/// When the statement was last reviewed (the conformity check behind it: axe-core in every
/// browser test plus the manual keyboard checks named below).
pub const REVIEWED_ON: &str = "2026-11-23";

struct Statement {
    title: &'static str,
    scope: &'static str,
    status_h: &'static str,
    status: &'static str,
    gaps_h: &'static str,
    gaps: &'static [&'static str],
    made_h: &'static str,
    made: String,
    feedback_h: &'static str,
    feedback: &'static str,
    enforcement_h: &'static str,
    enforcement: &'static str,
}

fn statement(locale: Locale) -> Statement {
    match locale {
        Locale::De => Statement {
            title: "Erklärung zur Barrierefreiheit",
            scope: "Diese Erklärung gilt für das Rundschreiben-Portal der Stadtverwaltung (Intranet) einschließlich der Anmeldung, der Kenntnisnahme von Rundschreiben, der Geräteverwaltung und der Übersichten für Leitungen, Personal und Administration.",
            status_h: "Stand der Vereinbarkeit mit den Anforderungen",
            status: "Das Portal ist mit der Barrierefreie-Informationstechnik-Verordnung (BITV 2.0) und der harmonisierten Norm EN 301 549 (WCAG 2.1, Stufen A und AA) teilweise vereinbar. Jede Seite wird bei jeder Änderung automatisiert mit axe-core auf die WCAG-2.1-Kriterien A und AA geprüft; Tastaturbedienung, Fokusführung und Fehlermeldungen werden zusätzlich geprüft.",
            gaps_h: "Nicht barrierefreie Inhalte",
            gaps: &[
                "PDF-Anlagen von Rundschreiben werden von den veröffentlichenden Stellen hochgeladen; ihre Barrierefreiheit prüft das Portal nicht. Der verbindliche Text steht immer auch als HTML im Portal.",
                "Das Balkendiagramm der Übersicht für Leitungen ist eine Grafik; dieselben Zahlen stehen in der Tabelle darunter.",
                "Eine vollständige Prüfung durch eine unabhängige Prüfstelle (BITV-Test) steht noch aus.",
            ],
            made_h: "Erstellung dieser Erklärung",
            made: format!("Diese Erklärung wurde am {REVIEWED_ON} erstellt bzw. zuletzt überprüft; Grundlage ist eine Selbstbewertung."),
            feedback_h: "Feedback und Kontakt",
            feedback: "Sind Ihnen Mängel beim barrierefreien Zugang aufgefallen, oder benötigen Sie Inhalte in einer anderen Form? Wenden Sie sich bitte an den Fachbereich Personal und Organisation, Telefon 1100, oder an die Beauftragte für Barrierefreiheit Ihrer Verwaltung. Wir antworten innerhalb von zwei Wochen.",
            enforcement_h: "Schlichtungs- und Durchsetzungsverfahren",
            enforcement: "Wenn Sie auf Ihre Rückmeldung keine zufriedenstellende Antwort erhalten, können Sie die Schlichtungsstelle nach § 16 BGG bzw. die nach dem Landesrecht zuständige Durchsetzungsstelle anrufen. Das Verfahren ist kostenfrei; Sie brauchen keinen Rechtsbeistand.",
        },
        Locale::En => Statement {
            title: "Accessibility statement",
            scope: "This statement covers the city administration's circulars portal (intranet), including sign-in, acknowledging circulars, device management and the overviews for heads, HR and administrators.",
            status_h: "Compliance status",
            status: "The portal is partially compliant with the German accessibility regulation BITV 2.0 and the harmonised standard EN 301 549 (WCAG 2.1 levels A and AA). Every page is checked automatically with axe-core against WCAG 2.1 A and AA on every change; keyboard operation, focus handling and error messages are checked as well.",
            gaps_h: "Content that is not accessible",
            gaps: &[
                "PDF attachments of circulars are uploaded by the publishing departments; the portal does not check their accessibility. The binding text is always available as HTML in the portal too.",
                "The bar chart of the heads' overview is a graphic; the table below it has the same numbers.",
                "A full audit by an independent body (BITV test) is still outstanding.",
            ],
            made_h: "Preparation of this statement",
            made: format!("This statement was prepared or last reviewed on {REVIEWED_ON}, based on a self-assessment."),
            feedback_h: "Feedback and contact",
            feedback: "If you notice barriers or need content in another form, please contact the HR and organisation department, phone 1100, or your administration's accessibility officer. We answer within two weeks.",
            enforcement_h: "Enforcement procedure",
            enforcement: "If you do not receive a satisfactory answer, you can turn to the arbitration board under § 16 BGG or the enforcement body responsible under state law. The procedure is free of charge; you do not need legal representation.",
        },
    }
}

#[component]
pub fn AccessibilityPage() -> impl IntoView {
    let s = statement(use_ctx().locale);
    view! {
        <Title text=s.title/>
        <h1>{s.title}</h1>
        <p>{s.scope}</p>
        <h2>{s.status_h}</h2>
        <p>{s.status}</p>
        <h2>{s.gaps_h}</h2>
        <ul>{s.gaps.iter().map(|g| view! { <li>{*g}</li> }).collect_view()}</ul>
        <h2>{s.made_h}</h2>
        <p>{s.made}</p>
        <h2>{s.feedback_h}</h2>
        <p>{s.feedback}</p>
        <h2>{s.enforcement_h}</h2>
        <p>{s.enforcement}</p>
    }
}
