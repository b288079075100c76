//! MySQL / MariaDB errors to DB-Hive's model, and the error position recovered from the
//! server's "near '...' at line N" (the protocol carries none).

use dbhive_core::{DbError, ErrorKind};

use super::protocol::ErrPacket;

pub fn kind_for(code: u16) -> ErrorKind {
    match code {
        1064 | 1149 => ErrorKind::Syntax,
        1045 | 1698 | 1251 => ErrorKind::Auth,
        1044 | 1142 | 1143 | 1227 | 1370 | 1356 => ErrorKind::Permission,
        1046 | 1049 | 1051 | 1054 | 1091 | 1146 | 1305 | 1360 | 1176 | 1141 => ErrorKind::NotFound,
        1048 | 1062 | 1169 | 1216 | 1217 | 1451 | 1452 | 1557 | 1586 | 3819 | 4025 => {
            ErrorKind::Constraint
        }
        1317 => ErrorKind::Cancelled,
        1205 | 1969 | 3024 => ErrorKind::Timeout,
        1040
        | 1043
        | 1053
        | 1081
        | 1129
        | 1130
        | 1152
        | 1153
        | 1158..=1161
        | 1184
        | 1226
        | 2002
        | 2003
        | 2006
        | 2013 => ErrorKind::Connection,
        1235 | 1289 | 1178 => ErrorKind::Unsupported,
        _ => ErrorKind::Query,
    }
}

pub fn to_error(e: &ErrPacket, sql: Option<&str>) -> DbError {
    let kind = kind_for(e.code);
    let message = if kind == ErrorKind::Cancelled {
        "query cancelled".to_string()
    } else {
        e.message.clone()
    };
    let detail = (!e.sqlstate.is_empty()).then(|| format!("SQLSTATE {}", e.sqlstate));
    DbError::new(kind, message)
        .with_code(e.code.to_string())
        .with_detail(detail)
        .with_position(sql.and_then(|s| position(&e.message, s)))
}

/// 1-based character position of the error in `sql`, from "... near 'TEXT' at line N".
/// The server counts lines from the start of the failing statement; with several
/// statements the first place where TEXT follows on a line numbered N from some earlier
/// line start wins, else the first occurrence of TEXT.
pub fn position(message: &str, sql: &str) -> Option<u32> {
    let start = message.find("near '")? + "near '".len();
    let end = message.rfind("' at line ")?;
    if end < start {
        return None;
    }
    let line: usize = message[end + "' at line ".len()..].trim().parse().ok()?;
    let near = &message[start..end];
    let to_pos = |byte: usize| Some(sql.get(..byte)?.chars().count() as u32 + 1);
    if near.is_empty() {
        // "near '' at line N": the statement ended too early.
        return to_pos(sql.trim_end().trim_end_matches(';').trim_end().len());
    }
    // The server quotes up to 80 characters; match on a shorter prefix.
    let probe: String = near.chars().take(40).collect();
    let hits: Vec<usize> = sql.match_indices(probe.as_str()).map(|(i, _)| i).collect();
    let line_of = |byte: usize| sql[..byte].matches('\n').count() + 1;
    let best = hits
        .iter()
        .copied()
        .find(|&i| line_of(i) == line)
        .or_else(|| hits.iter().copied().find(|&i| line_of(i) >= line))
        .or_else(|| hits.first().copied())?;
    to_pos(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_from_messages() {
        let m = "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'FORM t' at line 2";
        let sql = "SELECT 1;\nSELECT * FORM t";
        assert_eq!(position(m, sql), Some(20));
        let m = "... to use near '' at line 1";
        assert_eq!(position(m, "SELECT (1"), Some(10));
        assert_eq!(position("no position here", "x"), None);
    }
}
