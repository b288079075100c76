//! A script cut into batches at `GO` lines, as SSMS and sqlcmd do: GO is not T-SQL, it is
//! the client's separator, alone on its line (`GO 3` runs the batch three times), and a GO
//! inside a string, a quoted name or a block comment is text.

/// One batch of a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch<'a> {
    pub text: &'a str,
    /// The 0-based line of the script the batch starts on.
    pub first_line: i32,
    /// How many times to run it (`GO n`).
    pub repeat: u32,
}

/// What the scanner is inside of when a line ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Inside {
    Code,
    /// Nested `/* */` depth (T-SQL nests block comments).
    Comment(u32),
    Str,
    Bracket,
    Quoted,
}

/// `GO`, `go 5`, `GO -- done`: the count if `line` is a separator.
fn go_line(line: &str) -> Option<u32> {
    let t = line.trim();
    t.get(..2).filter(|g| g.eq_ignore_ascii_case("go"))?;
    let after = &t[2..];
    let after = match after.find("--") {
        Some(i) => &after[..i],
        None => after,
    };
    if !after.is_empty() && !after.starts_with(char::is_whitespace) {
        return None;
    }
    let n = after.trim();
    if n.is_empty() {
        return Some(1);
    }
    n.parse::<u32>().ok().filter(|&n| n > 0)
}

/// Advances `state` over one line of text.
fn scan(line: &str, mut state: Inside) -> Inside {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        state = match state {
            Inside::Code => match c {
                b'-' if next == Some(b'-') => return Inside::Code,
                b'/' if next == Some(b'*') => {
                    i += 1;
                    Inside::Comment(1)
                }
                b'\'' => Inside::Str,
                b'[' => Inside::Bracket,
                b'"' => Inside::Quoted,
                _ => Inside::Code,
            },
            Inside::Comment(depth) => match c {
                b'*' if next == Some(b'/') => {
                    i += 1;
                    if depth == 1 {
                        Inside::Code
                    } else {
                        Inside::Comment(depth - 1)
                    }
                }
                b'/' if next == Some(b'*') => {
                    i += 1;
                    Inside::Comment(depth + 1)
                }
                _ => state,
            },
            // A doubled quote is an escaped one: leaving and re-entering gives the same.
            Inside::Str if c == b'\'' => Inside::Code,
            Inside::Bracket if c == b']' => {
                if next == Some(b']') {
                    i += 1;
                    Inside::Bracket
                } else {
                    Inside::Code
                }
            }
            Inside::Quoted if c == b'"' => Inside::Code,
            other => other,
        };
        i += 1;
    }
    state
}

/// The batches of `script`. Batches with nothing but blanks are left out.
pub fn split(script: &str) -> Vec<Batch<'_>> {
    let mut out = Vec::new();
    let mut state = Inside::Code;
    let mut start = 0;
    let mut start_line = 0;
    let mut offset = 0;
    for (n, line) in script.split_inclusive('\n').enumerate() {
        let line_no = n as i32;
        if state == Inside::Code
            && let Some(repeat) = go_line(line)
        {
            let text = &script[start..offset];
            if !text.trim().is_empty() {
                out.push(Batch {
                    text,
                    first_line: start_line,
                    repeat,
                });
            }
            offset += line.len();
            start = offset;
            start_line = line_no + 1;
            continue;
        }
        state = scan(line, state);
        offset += line.len();
    }
    let text = &script[start..];
    if !text.trim().is_empty() {
        out.push(Batch {
            text,
            first_line: start_line,
            repeat: 1,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<(String, i32, u32)> {
        split(s)
            .into_iter()
            .map(|b| (b.text.trim().to_string(), b.first_line, b.repeat))
            .collect()
    }

    #[test]
    fn go_lines_separate_batches() {
        assert_eq!(
            texts("SELECT 1\nGO\nSELECT 2\n  go 3  \nPRINT 'x'\nGo -- last\n"),
            vec![
                ("SELECT 1".into(), 0, 1),
                ("SELECT 2".into(), 2, 3),
                ("PRINT 'x'".into(), 4, 1)
            ]
        );
        assert_eq!(
            texts("SELECT 1\r\nGO\r\nSELECT 2"),
            vec![("SELECT 1".into(), 0, 1), ("SELECT 2".into(), 2, 1)]
        );
        assert_eq!(texts("GO\nGO\n"), vec![]);
    }

    #[test]
    fn go_as_text_is_not_a_separator() {
        for s in [
            "SELECT 'a\nGO\nb'",
            "/* a\nGO\n*/ SELECT 1",
            "/* /* nested */\nGO\n*/ SELECT 1",
            "SELECT 1 AS [x\nGO\n]",
            "SELECT GO FROM t\nGOTO label\nGO2",
        ] {
            assert_eq!(split(s).len(), 1, "{s:?}");
        }
        // A line comment ends with its line: the GO after it counts.
        assert_eq!(split("SELECT 1 -- it's\nGO\nSELECT 2").len(), 2);
        assert_eq!(split("SELECT 'it''s'\nGO\nSELECT 2").len(), 2);
        assert_eq!(
            split("SELECT 1\nGO 0\nSELECT 2").len(),
            1,
            "GO 0 is not a separator"
        );
    }
}
