//! CSV as the city's spreadsheets read it: semicolon-separated (German Excel), UTF-8 with a
//! byte-order mark, fields quoted when needed, and never a formula.

/// The first bytes of a file: the byte-order mark that makes Excel read UTF-8.
pub const BOM: &str = "\u{feff}";

/// A text field: a leading `=`, `+`, `-`, `@`, tab or carriage return is neutralised so
/// that a spreadsheet never evaluates a name as a formula, and the field is quoted when it
/// holds a separator of any locale (`;` or `,`), a tab, a quote or a line break, so that it
/// stays one cell (whose start is checked) whatever separator the file is opened with.
pub fn text(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([';', ',', '\t', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One line of already formatted fields.
pub fn line(fields: &[String]) -> String {
    fields.join(";") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_when_needed_and_never_formulas() {
        assert_eq!(text("Amt 10"), "Amt 10");
        assert_eq!(text("a;b"), "\"a;b\"");
        assert_eq!(text("Sag \"Hallo\""), "\"Sag \"\"Hallo\"\"\"");
        assert_eq!(text("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(text("-1;2"), "\"'-1;2\"");
        assert_eq!(text("x,=cmd|' /C calc'!A0"), "\"x,=cmd|' /C calc'!A0\"");
        assert_eq!(text("\t=1"), "\"'\t=1\"");
        assert_eq!(line(&["a".into(), "b".into()]), "a;b\n");
    }
}
