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
