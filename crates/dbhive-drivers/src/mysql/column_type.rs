//! What MySQL's COLUMN_TYPE says beyond the type's name: the labels of an ENUM or SET.

use dbhive_core::Choices;

/// `enum('a','it''s')` or `set('x','y')` as its labels; None for any other type.
pub fn choices(column_type: &str) -> Option<Choices> {
    let lower = column_type.to_ascii_lowercase();
    let (several, rest) = if lower.starts_with("enum(") {
        (false, &column_type[5..])
    } else if lower.starts_with("set(") {
        (true, &column_type[4..])
    } else {
        return None;
    };
    let mut values = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        match chars.next()? {
            '\'' => {
                let mut label = String::new();
                loop {
                    match chars.next()? {
                        // A quote inside a label is written twice.
                        '\'' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            label.push('\'');
                        }
                        '\'' => break,
                        // information_schema writes a backslash as two.
                        '\\' if chars.peek() == Some(&'\\') => {
                            chars.next();
                            label.push('\\');
                        }
                        c => label.push(c),
                    }
                }
                values.push(label);
            }
            ',' | ' ' => {}
            ')' => return Some(Choices { values, several }),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_and_set_labels_are_read_with_their_quotes() {
        assert_eq!(
            choices("enum('x','it''s','a,b')"),
            Some(Choices {
                values: vec!["x".into(), "it's".into(), "a,b".into()],
                several: false
            })
        );
        assert_eq!(
            choices("set('a','b')").map(|c| (c.values.len(), c.several)),
            Some((2, true))
        );
        assert_eq!(choices("varchar(20)"), None);
        assert_eq!(choices("enum('unterminated"), None);
    }
}
