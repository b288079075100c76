//! SQL Server's messages as DB-Hive errors and notices: the number picks the kind, and
//! Level, State, Line and procedure travel along as SSMS prints them.

use dbhive_core::{DbError, ErrorKind, Notice};

use super::tokens::ServerMessage;

/// Messages of severity above this are errors (SQL Server's own rule).
pub const MAX_INFO_CLASS: u8 = 10;

/// Babelfish reports nearly every error as this number, with PostgreSQL's message.
const BABELFISH_GENERIC: i32 = 33557097;

pub fn kind_for(number: i32, message: &str) -> ErrorKind {
    if number == BABELFISH_GENERIC {
        return if message.contains("does not exist") {
            ErrorKind::NotFound
        } else if message.starts_with("syntax error") {
            ErrorKind::Syntax
        } else {
            ErrorKind::Query
        };
    }
    match number {
        102 | 103 | 105 | 156 | 170 | 319 | 1038 => ErrorKind::Syntax,
        // 208 invalid object, 207 invalid column, 2812 no such procedure, 4060 database.
        207 | 208 | 2812 | 911 | 4060 | 15151 | 3701 => ErrorKind::NotFound,
        18456 | 18452 | 18486 | 18487 | 18488 => ErrorKind::Auth,
        229 | 230 | 262 | 297 | 300 | 916 | 15247 => ErrorKind::Permission,
        547 | 2601 | 2627 | 515 | 2628 | 8152 => ErrorKind::Constraint,
        1205 | 1222 => ErrorKind::Timeout,
        3980 | 3617 => ErrorKind::Cancelled,
        40 | 4002 | 10054 | 10060 | 233 => ErrorKind::Connection,
        _ => ErrorKind::Query,
    }
}

/// "Msg 8134, Level 16, State 1, Line 2" (and the procedure when there is one), as SSMS
/// heads each message.
pub fn heading(m: &ServerMessage, line_offset: i32) -> String {
    let line = m.line + if m.line > 0 { line_offset } else { 0 };
    if m.procedure.is_empty() {
        format!(
            "Msg {}, Level {}, State {}, Line {line}",
            m.number, m.class, m.state
        )
    } else {
        format!(
            "Msg {}, Level {}, State {}, Procedure {}, Line {line}",
            m.number, m.class, m.state, m.procedure
        )
    }
}

/// 1-based character offset of the start of `line` (1-based) in `text`.
fn line_start(text: &str, line: i32) -> Option<u32> {
    if line < 1 {
        return None;
    }
    if line == 1 {
        return Some(1);
    }
    let mut seen = 1;
    for (chars, c) in text.chars().enumerate() {
        if c == '\n' {
            seen += 1;
            if seen == line {
                return Some(chars as u32 + 2);
            }
        }
    }
    None
}

/// The error for a server message. `script` is the whole text that was run and
/// `batch_at_line` the line (0-based) its batch starts on, so the error's place points into
/// the editor's text, not into the batch.
pub fn to_error(m: &ServerMessage, script: Option<(&str, i32)>) -> DbError {
    let line_offset = script.map(|s| s.1).unwrap_or(0);
    let mut e = DbError::new(kind_for(m.number, &m.message), m.message.clone())
        .with_code(m.number.to_string())
        .with_detail(Some(heading(m, line_offset)));
    // Within a procedure the line is the procedure's, not the script's.
    if m.procedure.is_empty()
        && let Some((text, offset)) = script
    {
        e = e.with_position(line_start(text, m.line + offset));
    }
    e
}

/// The notice for a PRINT, a RAISERROR of low severity, or an error the batch went on after.
pub fn to_notice(m: &ServerMessage, line_offset: i32) -> Notice {
    let severity = if m.class > MAX_INFO_CLASS {
        "ERROR"
    } else {
        "INFO"
    };
    let mut n = Notice::new(severity, m.message.clone());
    // PRINT is number 0 at level 0: SSMS shows its text alone.
    if m.number != 0 || m.class != 0 {
        n.code = Some(m.number.to_string());
        n.detail = Some(heading(m, line_offset));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(number: i32, line: i32, procedure: &str) -> ServerMessage {
        ServerMessage {
            number,
            state: 1,
            class: 16,
            message: "Divide by zero error encountered.".into(),
            server: "db".into(),
            procedure: procedure.into(),
            line,
        }
    }

    #[test]
    fn errors_point_at_their_line_in_the_script() {
        let script = "SELECT 1\nGO\nSELECT 1/0\nSELECT 2/0";
        // The batch after GO starts on line 2 (0-based); its line 2 is the script's line 4.
        let e = to_error(&msg(8134, 2, ""), Some((script, 2)));
        assert_eq!(e.code.as_deref(), Some("8134"));
        assert_eq!(
            e.detail.as_deref(),
            Some("Msg 8134, Level 16, State 1, Line 4")
        );
        assert_eq!(e.line_column(script), Some((4, 1)));
        let e = to_error(&msg(8134, 3, "p"), Some((script, 0)));
        assert_eq!(e.position, None);
        assert_eq!(
            e.detail.as_deref(),
            Some("Msg 8134, Level 16, State 1, Procedure p, Line 3")
        );
        assert_eq!(kind_for(208, ""), ErrorKind::NotFound);
        assert_eq!(kind_for(2627, ""), ErrorKind::Constraint);
        assert_eq!(
            kind_for(33557097, "relation \"t\" does not exist"),
            ErrorKind::NotFound
        );
        assert_eq!(kind_for(33557097, "division by zero"), ErrorKind::Query);
    }

    #[test]
    fn print_is_its_text_alone() {
        let mut m = msg(0, 1, "");
        m.class = 0;
        m.message = "hello".into();
        let n = to_notice(&m, 0);
        assert_eq!(
            (n.severity.as_str(), n.code, n.detail),
            ("INFO", None, None)
        );
    }
}
