//! Texts of the mails, by the recipient's language: plain text and HTML.
use crate::i18n::Locale;

pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Reminder to acknowledge a circular.
pub fn reminder(
    locale: Locale,
    name: &str,
    number: &str,
    title: &str,
    deadline: &str,
    link: &str,
) -> Mail {
    let day = crate::time::format_day(deadline, locale);
    let (subject, lines) = match locale {
        Locale::De => (
            format!("Erinnerung: Rundschreiben {number} zur Kenntnis nehmen (Frist {day})"),
            vec![
                format!("Guten Tag {name},"),
                format!("bitte nehmen Sie das Rundschreiben {number} „{title}“ bis zum {day} zur Kenntnis."),
                format!("Zum Rundschreiben: {link}"),
                "Ihr Fachbereich Personal und Organisation".to_owned(),
            ],
        ),
        Locale::En => (
            format!("Reminder: please acknowledge circular {number} (deadline {day})"),
            vec![
                format!("Hello {name},"),
                format!("please acknowledge circular {number} \"{title}\" by {day}."),
                format!("Open the circular: {link}"),
                "Your HR and organisation department".to_owned(),
            ],
        ),
    };
    from_lines(locale, subject, &lines, link)
}

/// A mail of plain paragraphs; the paragraph containing `link` becomes a link in HTML.
fn from_lines(locale: Locale, subject: String, lines: &[String], link: &str) -> Mail {
    let text = lines.join("\n\n");
    let html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><body>{}</body></html>",
        locale.code(),
        lines
            .iter()
            .map(|l| match l.find(link) {
                Some(_) => format!("<p><a href=\"{0}\">{0}</a></p>", escape(link)),
                None => format!("<p>{}</p>", escape(l)),
            })
            .collect::<String>()
    );
    Mail {
        subject,
        text,
        html,
    }
}

/// Why a compliance mail is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplianceMail {
    /// A prohibited app was found after the effective date; access ends on `block_on`.
    Warned,
    /// The grace period ended; mail, contacts and calendar sync are cut off.
    Blocked,
    /// The app is gone (or an exemption applies): access is restored.
    Restored,
    /// The device has not reported to the MDM for too long.
    Stale,
}

/// Mail to a device owner about a compliance transition.
pub struct ComplianceFacts<'a> {
    pub name: &'a str,
    pub device: &'a str,
    pub apps: &'a str,
    pub circular: &'a str,
    pub block_on: &'a str,
    pub link: &'a str,
}

pub fn compliance(locale: Locale, kind: ComplianceMail, f: &ComplianceFacts) -> Mail {
    let day = crate::time::format_day(f.block_on, locale);
    let (name, device, apps, circular, link) = (f.name, f.device, f.apps, f.circular, f.link);
    let (subject, body) = match (locale, kind) {
        (Locale::De, ComplianceMail::Warned) => (
            format!("Verbotene App auf {device}: Sperre ab {day}"),
            format!("auf Ihrem Gerät „{device}“ ist die App {apps} installiert, die nach dem Rundschreiben {circular} auf dienstlichen Geräten verboten ist. Bitte entfernen Sie sie. Ist sie am {day} noch installiert, wird das Gerät von E-Mail, Kontakten und Kalender getrennt."),
        ),
        (Locale::En, ComplianceMail::Warned) => (
            format!("Prohibited app on {device}: access ends on {day}"),
            format!("your device \"{device}\" has the app {apps} installed, which circular {circular} prohibits on service devices. Please remove it. If it is still installed on {day}, the device is cut off from mail, contacts and calendar."),
        ),
        (Locale::De, ComplianceMail::Blocked) => (
            format!("{device} ist für E-Mail gesperrt"),
            format!("auf Ihrem Gerät „{device}“ ist weiterhin die App {apps} installiert (Rundschreiben {circular}). Das Gerät ist ab sofort von E-Mail, Kontakten und Kalender getrennt. Sobald die App entfernt ist und das Gerät sich beim MDM meldet, wird der Zugang wieder freigegeben."),
        ),
        (Locale::En, ComplianceMail::Blocked) => (
            format!("{device} is blocked from mail"),
            format!("your device \"{device}\" still has the app {apps} installed (circular {circular}). It is now cut off from mail, contacts and calendar. Access is restored as soon as the app is removed and the device reports to the MDM."),
        ),
        (Locale::De, ComplianceMail::Restored) => (
            format!("{device}: Zugang wieder freigegeben"),
            format!("Ihr Gerät „{device}“ erfüllt die Vorgaben des Rundschreibens {circular} wieder. E-Mail, Kontakte und Kalender sind wieder freigegeben."),
        ),
        (Locale::En, ComplianceMail::Restored) => (
            format!("{device}: access restored"),
            format!("your device \"{device}\" complies with circular {circular} again. Mail, contacts and calendar are available again."),
        ),
        (Locale::De, ComplianceMail::Stale) => (
            format!("{device} meldet sich nicht beim MDM"),
            format!("Ihr Gerät „{device}“ hat sich seit längerer Zeit nicht beim Gerätemanagement (MDM) gemeldet. Bitte verbinden Sie es mit dem Netz oder wenden Sie sich an die IT."),
        ),
        (Locale::En, ComplianceMail::Stale) => (
            format!("{device} is not reporting to the MDM"),
            format!("your device \"{device}\" has not reported to the device management (MDM) for a long time. Please connect it to the network or contact IT."),
        ),
    };
    let (greeting, link_line, signature) = match locale {
        Locale::De => (
            format!("Guten Tag {name},"),
            format!("Meine Geräte: {link}"),
            "Ihr Fachbereich Personal und Organisation",
        ),
        Locale::En => (
            format!("Hello {name},"),
            format!("My devices: {link}"),
            "Your HR and organisation department",
        ),
    };
    from_lines(
        locale,
        subject,
        &[greeting, body, link_line, signature.to_owned()],
        link,
    )
}

/// Digest to a head: people in their units overdue by more than the escalation threshold.
pub fn escalation(locale: Locale, number: &str, title: &str, names: &[String], link: &str) -> Mail {
    let (subject, intro, outro) = match locale {
        Locale::De => (
            format!("Überfällige Kenntnisnahmen: Rundschreiben {number}"),
            format!("In Ihrem Bereich haben folgende Beschäftigte das Rundschreiben {number} „{title}“ trotz Erinnerung noch nicht zur Kenntnis genommen:"),
            format!("Übersicht: {link}"),
        ),
        Locale::En => (
            format!("Overdue acknowledgments: circular {number}"),
            format!("In your units these people have not acknowledged circular {number} \"{title}\" despite reminders:"),
            format!("Overview: {link}"),
        ),
    };
    let list = names
        .iter()
        .map(|n| format!("- {n}"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = format!("{intro}\n\n{list}\n\n{outro}");
    let items: String = names
        .iter()
        .map(|n| format!("<li>{}</li>", escape(n)))
        .collect();
    let html = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><body><p>{intro}</p><ul>{items}</ul><p><a href=\"{link}\">{link}</a></p></body></html>",
        lang = locale.code(),
        intro = escape(&intro),
        link = escape(link),
    );
    Mail {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_speak_the_recipients_language_and_escape_html() {
        let de = reminder(
            Locale::De,
            "Max <M>",
            "RS 1",
            "Titel",
            "2026-12-10",
            "https://p/read/1",
        );
        assert!(de.subject.contains("Frist 10.12.2026"));
        assert!(de.text.contains("bis zum 10.12.2026"));
        assert!(de.html.contains("Max &lt;M&gt;") && de.html.contains("href=\"https://p/read/1\""));
        let en = reminder(
            Locale::En,
            "Max",
            "RS 1",
            "Title",
            "2026-12-10",
            "https://p/read/1",
        );
        assert!(en.subject.starts_with("Reminder"));
    }
}
