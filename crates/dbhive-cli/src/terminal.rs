//! Text from a server or a file on the way to a terminal. Control characters in it could
//! move the cursor, rewrite what was printed before, retitle the window or hide text (ANSI
//! escapes, a bare carriage return, bidirectional overrides): they are shown as escapes.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every character a terminal would act on written as an escape; newlines and
/// tabs stay.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(acts_on_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !acts_on_terminal(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

pub fn acts_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(safe("plain\ttext\n"), "plain\ttext\n");
        assert!(matches!(safe("ünïcödé"), Cow::Borrowed(_)));
        assert_eq!(safe("a\x1b]0;owned\x07b"), "a\\x1b]0;owned\\x07b");
        assert_eq!(safe("x\ry"), "x\\x0dy");
        assert_eq!(safe("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(safe("abc\u{202e}fed"), "abc\\u{202e}fed");
    }
}
