//! What a script would do that a person should confirm first on a production connection:
//! an UPDATE or DELETE without a WHERE touches every row of its table. The script is read
//! as the server would split it: quotes, quoted names, comments and dollar quotes are
//! skipped, so a `;` or a `WHERE` inside them counts for nothing.

use crate::config::Engine;

/// The statements of `script` that are an UPDATE or a DELETE without a WHERE at their own
/// level (a WHERE inside a subquery does not bound the outer statement), as written.
pub fn unbounded_writes(engine: Engine, script: &str) -> Vec<String> {
    statements(engine, script)
        .into_iter()
        .filter(|s| {
            let words = &s.words;
            let verb = words
                .iter()
                .find(|(_, depth)| *depth == 0)
                .map(|(w, _)| w.as_str());
            matches!(verb, Some("UPDATE" | "DELETE"))
                && !words.iter().any(|(w, depth)| *depth == 0 && w == "WHERE")
        })
        .map(|s| s.text)
        .collect()
}

struct Statement {
    text: String,
    /// Each bare word, upper-cased, with its parenthesis depth.
    words: Vec<(String, u32)>,
}

fn statements(engine: Engine, script: &str) -> Vec<Statement> {
    let b = script.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut words = Vec::new();
    let mut depth = 0u32;
    let mut i = 0;
    let mut push = |from: usize, to: usize, words: &mut Vec<(String, u32)>| {
        let text = script[from..to].trim();
        if !words.is_empty() {
            out.push(Statement {
                text: text.to_string(),
                words: std::mem::take(words),
            });
        }
    };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        match c {
            b'\'' | b'"' | b'`' => i = skip_quoted(b, i, c),
            b'[' if engine == Engine::Mssql => i = skip_quoted(b, i, b']'),
            b'-' if next == Some(b'-') => i = skip_line(b, i),
            b'#' if engine == Engine::Mysql => i = skip_line(b, i),
            b'/' if next == Some(b'*') => {
                i = script[i + 2..]
                    .find("*/")
                    .map_or(b.len(), |at| i + 2 + at + 2)
            }
            b'$' if engine == Engine::Postgres => i = skip_dollar(script, i),
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b';' => {
                push(start, i, &mut words);
                start = i + 1;
                depth = 0;
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let from = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$')
                {
                    i += 1;
                }
                let word = script[from..i].to_ascii_uppercase();
                // SQL Server's batch separator: a line of its own.
                if engine == Engine::Mssql && word == "GO" && line_alone(script, from, i) {
                    push(start, from, &mut words);
                    start = i;
                    depth = 0;
                } else {
                    words.push((word, depth));
                }
            }
            _ => i += 1,
        }
    }
    push(start, b.len(), &mut words);
    out
}

/// Past a quoted run opened at `at` and closed by `close` (doubled, it is literal).
fn skip_quoted(b: &[u8], at: usize, close: u8) -> usize {
    let mut i = at + 1;
    while i < b.len() {
        if b[i] == b'\\' && close == b'\'' {
            // MySQL's and PostgreSQL E'' escapes: the next byte is literal either way.
            i += 2;
            continue;
        }
        if b[i] == close {
            if b.get(i + 1) == Some(&close) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

fn skip_line(b: &[u8], at: usize) -> usize {
    b[at..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| at + p + 1)
}

/// Past a PostgreSQL dollar-quoted string (`$$...$$`, `$tag$...$tag$`) opened at `at`; a
/// `$` that opens none (a parameter, `$1`) is one character.
fn skip_dollar(s: &str, at: usize) -> usize {
    let rest = &s[at + 1..];
    let tag_len = rest
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    if rest.as_bytes().get(tag_len) != Some(&b'$')
        || rest.as_bytes().first().is_some_and(u8::is_ascii_digit)
    {
        return at + 1;
    }
    let tag = &s[at..at + tag_len + 2];
    let body = at + tag.len();
    s[body..]
        .find(tag)
        .map_or(s.len(), |p| body + p + tag.len())
}

fn line_alone(s: &str, from: usize, to: usize) -> bool {
    let before = s[..from].rsplit('\n').next().unwrap_or("");
    let after = s[to..].split('\n').next().unwrap_or("");
    before.trim().is_empty() && after.trim().trim_end_matches(';').is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_or_delete_without_where_is_found() {
        let script = "UPDATE t SET a = 1;\nupdate t set a = 2 where id = 3;\n\
                      DELETE FROM t; SELECT 'DELETE FROM x;' ; -- DELETE FROM y;\n\
                      DELETE FROM t WHERE id IN (SELECT id FROM u)";
        assert_eq!(
            unbounded_writes(Engine::Postgres, script),
            ["UPDATE t SET a = 1", "DELETE FROM t"]
        );
    }

    #[test]
    fn a_where_in_a_subquery_or_a_string_does_not_bound_the_statement() {
        assert_eq!(
            unbounded_writes(
                Engine::Postgres,
                "UPDATE t SET a = (SELECT max(b) FROM u WHERE u.id = 1)"
            )
            .len(),
            1
        );
        assert_eq!(
            unbounded_writes(Engine::Postgres, "DELETE FROM t /* WHERE x */").len(),
            1
        );
        assert_eq!(
            unbounded_writes(Engine::Postgres, "UPDATE t SET s = $q$ ; WHERE $q$").len(),
            1
        );
        assert_eq!(
            unbounded_writes(Engine::Mysql, "UPDATE t SET s = 'it\\'s; WHERE'").len(),
            1
        );
        assert!(unbounded_writes(Engine::Postgres, "SELECT $1 WHERE true").is_empty());
    }

    #[test]
    fn each_engines_names_comments_and_batches_are_read() {
        assert!(unbounded_writes(Engine::Mssql, "UPDATE [where] SET a = 1 WHERE b = 2").is_empty());
        assert_eq!(
            unbounded_writes(Engine::Mssql, "DELETE FROM t\nGO\nSELECT 1").len(),
            1
        );
        assert!(unbounded_writes(Engine::Mysql, "# DELETE FROM t\nSELECT 1").is_empty());
        assert!(unbounded_writes(Engine::Sqlite, "DELETE FROM \"t;\" WHERE 1").is_empty());
    }
}
