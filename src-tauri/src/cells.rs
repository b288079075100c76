//! Values as the grid shows them: text, with NULL kept apart, binary as hex, and long
//! values cut (the full value is fetched when the user opens it).

use dbhive_core::json::hex;
use dbhive_core::{TextStyle, Value};
use serde::Serialize;

/// Characters of one cell sent to the grid; the rest stays in the backend.
pub const GRID_CHARS: usize = 2_000;
/// Bytes of binary shown as hex in the grid.
const GRID_BYTES: usize = 256;

/// One grid cell: null, the text, or the start of a longer text and its full length.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Cell {
    Null,
    Text(String),
    Cut {
        t: String,
        n: usize,
    },
    /// The document has no such field (MongoDB): not NULL.
    Missing {
        m: u8,
    },
}

/// The full text of a value for display and copying: booleans as true/false, binary as
/// `\x` hex whatever the engine's export spells, everything else as the engine writes it.
pub fn full_text(v: &Value, style: &TextStyle) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
        Value::Bytes(b) => Some(hex(b)),
        other => other.to_text(style),
    }
}

pub fn cell(v: &Value, style: &TextStyle) -> Cell {
    if matches!(v, Value::Missing) {
        return Cell::Missing { m: 1 };
    }
    if let Value::Bytes(b) = v
        && b.len() > GRID_BYTES
    {
        return Cell::Cut {
            t: hex(&b[..GRID_BYTES]),
            n: 2 + b.len() * 2,
        };
    }
    match full_text(v, style) {
        None => Cell::Null,
        Some(text) => {
            if text.len() <= GRID_CHARS {
                return Cell::Text(text);
            }
            let n = text.chars().count();
            if n <= GRID_CHARS {
                return Cell::Text(text);
            }
            Cell::Cut {
                t: text.chars().take(GRID_CHARS).collect(),
                n,
            }
        }
    }
}

/// How the grid aligns and styles a column, from its first non-NULL value.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Int(_)
        | Value::UInt(_)
        | Value::Float(_)
        | Value::Float32(_)
        | Value::Decimal(_) => "number",
        Value::Bool(_) => "bool",
        Value::Json(_) | Value::Array(_) => "json",
        Value::Bytes(_) => "binary",
        Value::Date(_) | Value::Time(_) | Value::Timestamp(_) | Value::TimestampTz(_) => "date",
        Value::Null | Value::Missing => "",
        _ => "text",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbhive_core::csv::CsvQuoting;
    use dbhive_core::value::{float32_postgres, float64_postgres};
    use dbhive_core::{ArrayStyle, BytesStyle};

    const STYLE: TextStyle = TextStyle {
        bool_true: "t",
        bool_false: "f",
        float64: float64_postgres,
        float32: float32_postgres,
        bytes: BytesStyle::Raw,
        array: ArrayStyle::Braces,
        csv: CsvQuoting::PostgresCopy,
    };

    #[test]
    fn cells() {
        assert_eq!(cell(&Value::Null, &STYLE), Cell::Null);
        assert_eq!(
            cell(&Value::Text(String::new()), &STYLE),
            Cell::Text(String::new())
        );
        assert_eq!(cell(&Value::Bool(true), &STYLE), Cell::Text("true".into()));
        assert_eq!(
            cell(&Value::Bytes(vec![1, 171]), &STYLE),
            Cell::Text("\\x01ab".into())
        );
        let long = "é".repeat(GRID_CHARS + 5);
        match cell(&Value::Text(long), &STYLE) {
            Cell::Cut { t, n } => {
                assert_eq!(t.chars().count(), GRID_CHARS);
                assert_eq!(n, GRID_CHARS + 5);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            serde_json::to_string(&Cell::Null).unwrap_or_default(),
            "null"
        );
    }
}
