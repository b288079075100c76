//! The mongosh syntax people paste, parsed without a JavaScript engine: `db.c.find(...)`
//! chains, `show dbs`, `use x`, and relaxed-JSON literals with the shell's constructors.
//! What is accepted is listed in docs/mongo.md; anything else is an error with its line and
//! column and what was expected there.

mod command;
mod lexer;
mod literal;

pub use command::{Action, CollOp, DbOp, FindEnd, FindOneAndKind, FindOp, Statement};

pub(crate) use literal::as_integer;

use dbhive_core::{DbError, ErrorKind};
use lexer::{Lexer, Tok, Token};

/// A problem at a byte offset of the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        ParseError {
            offset,
            message: message.into(),
        }
    }

    /// 1-based line and column (in characters) of the problem in `src`.
    pub fn line_column(&self, src: &str) -> (usize, usize) {
        let offset = floor_char_boundary(src, self.offset);
        let before = &src[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// The error as the rest of DB-Hive reports it: Syntax, with the 1-based character
    /// position the editor marks.
    pub fn into_db_error(self, src: &str) -> DbError {
        let (line, column) = self.line_column(src);
        let offset = floor_char_boundary(src, self.offset);
        let position = src[..offset].chars().count() as u32 + 1;
        let mut error = DbError::new(
            ErrorKind::Syntax,
            format!("line {line}, column {column}: {}", self.message),
        );
        error.position = Some(position);
        error
    }
}

fn floor_char_boundary(src: &str, mut offset: usize) -> usize {
    offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Parses a whole script into its statements, in order.
pub fn parse_script(src: &str) -> Result<Vec<Statement>, ParseError> {
    let mut parser = Parser::new(src)?;
    let mut statements = Vec::new();
    loop {
        while parser.is_punct(';') {
            parser.advance()?;
        }
        if parser.tok.tok == Tok::Eof {
            break;
        }
        let statement = parser.statement()?;
        statements.push(statement);
        match &parser.tok.tok {
            Tok::Eof | Tok::Punct(';') => {}
            _ if parser.tok.newline_before => {}
            other => {
                return Err(ParseError::new(
                    parser.tok.start,
                    format!(
                        "expected ';' or a new line after this statement, found {}",
                        other.describe()
                    ),
                ));
            }
        }
    }
    Ok(statements)
}

/// A recursive-descent parser over the lexer with one token of lookahead.
pub(crate) struct Parser<'a> {
    lexer: Lexer<'a>,
    pub tok: Token,
    /// Where the token before `tok` ended (a statement's end).
    pub prev_end: usize,
    depth: usize,
}

/// Nesting deeper than this is refused: the parser recurses once per level, and BSON itself
/// stops at 100 levels on the server.
const MAX_DEPTH: usize = 200;

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Result<Self, ParseError> {
        let mut lexer = Lexer::new(src);
        let tok = lexer.next_token()?;
        Ok(Parser {
            lexer,
            tok,
            prev_end: 0,
            depth: 0,
        })
    }

    /// Moves to the next token and returns the one it leaves.
    pub fn advance(&mut self) -> Result<Token, ParseError> {
        let next = self.lexer.next_token()?;
        self.prev_end = self.tok.end;
        Ok(std::mem::replace(&mut self.tok, next))
    }

    pub fn is_punct(&self, c: char) -> bool {
        self.tok.tok == Tok::Punct(c)
    }

    pub fn expect_punct(&mut self, c: char, context: &str) -> Result<Token, ParseError> {
        if self.is_punct(c) {
            return self.advance();
        }
        Err(self.unexpected(&format!("'{c}' {context}")))
    }

    /// An error at the current token: "expected X, found Y".
    pub fn unexpected(&self, expected: &str) -> ParseError {
        ParseError::new(
            self.tok.start,
            format!("expected {expected}, found {}", self.tok.tok.describe()),
        )
    }

    /// The raw rest of the line after the current token (for `use` and `show`), then lexing
    /// goes on after it.
    pub fn rest_of_line_after_current(&mut self) -> Result<(usize, String), ParseError> {
        self.lexer.seek(self.tok.end);
        let (start, text) = self.lexer.rest_of_line();
        let text = text.to_string();
        self.prev_end = start + text.len();
        self.tok = self.lexer.next_token()?;
        Ok((start, text))
    }

    pub fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::new(
                self.tok.start,
                format!("nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    pub fn leave(&mut self) {
        self.depth -= 1;
    }
}

#[cfg(test)]
mod tests;
