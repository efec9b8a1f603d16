//! Markdown → HTML for circular bodies. Authors write Markdown only: raw HTML and
//! `javascript:`/`data:` links are refused at save time with a clear message, and the
//! rendering is additionally sanitised with ammonia (defence in depth), so no script or event
//! handler can ever reach a reader. Preview and published text use this same function.
use crate::i18n::Problem;
use pulldown_cmark::{html, Event, Options, Parser, Tag};

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Problems with the Markdown source (raw HTML, unsafe links).
pub fn check(source: &str) -> Result<(), Problem> {
    for event in Parser::new_ext(source, options()) {
        match event {
            Event::Html(_) | Event::InlineHtml(_) => return Err(Problem::RawHtml),
            // Images only from the portal itself: an external image would tell another
            // server who read the circular when (and the CSP would block it anyway).
            Event::Start(Tag::Image { dest_url, .. }) => {
                // Only the portal's attachments: any other portal URL would be fetched with
                // the reader's session (e.g. an export that writes an audit entry).
                let url = dest_url.trim();
                let is_attachment = url
                    .strip_prefix("/attachments/")
                    .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()));
                if !is_attachment {
                    return Err(Problem::ExternalImage);
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                let url = dest_url.trim().to_ascii_lowercase();
                let scheme_ok = url.starts_with("https://")
                    || url.starts_with("http://")
                    || url.starts_with("mailto:")
                    || url.starts_with('/')
                    || url.starts_with('#');
                if !scheme_ok {
                    return Err(Problem::UnsafeLink);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Renders Markdown to sanitised HTML.
pub fn render(source: &str) -> String {
    let mut raw = String::new();
    html::push_html(&mut raw, Parser::new_ext(source, options()));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_headings_lists_and_links() {
        let html = render("# Titel\n\n* eins\n* zwei\n\n[Intranet](https://intranet.stadt.de)");
        assert!(html.contains("<h1>Titel</h1>"));
        assert!(html.contains("<li>eins</li>"));
        assert!(html.contains(r#"href="https://intranet.stadt.de""#));
    }

    #[test]
    fn images_must_come_from_the_portal_itself() {
        assert_eq!(
            check("![Logo](https://tracker.example/pixel.png)"),
            Err(Problem::ExternalImage)
        );
        assert_eq!(
            check("![Logo](//tracker.example/pixel.png)"),
            Err(Problem::ExternalImage)
        );
        assert!(check("![Logo](/attachments/1)").is_ok());
        assert_eq!(
            check("![x](/audit/export/person/17)"),
            Err(Problem::ExternalImage)
        );
    }

    #[test]
    fn raw_html_and_script_links_are_refused_and_never_rendered() {
        assert_eq!(
            check("Hallo <script>alert(1)</script>"),
            Err(Problem::RawHtml)
        );
        assert_eq!(check("<img src=x onerror=alert(1)>"), Err(Problem::RawHtml));
        assert_eq!(
            check("[klick](javascript:alert(1))"),
            Err(Problem::UnsafeLink)
        );
        assert_eq!(
            check("[klick](JavaScript:alert(1))"),
            Err(Problem::UnsafeLink)
        );
        assert!(check("Normaler **Text** mit [Link](https://x.de)").is_ok());
        let html = render("<script>alert(1)</script><a href=\"javascript:x\" onclick=\"y\">z</a>");
        assert!(
            !html.contains("<script") && !html.contains("javascript:") && !html.contains("onclick")
        );
    }
}
