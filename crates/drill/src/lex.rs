//! The lexer: script text into tokens, each with its line and column.
//!
//! packetdrill's language is free-form (a system call may span lines), so newlines are not
//! tokens; the parser uses the line of a token where it needs to know where a line ends.
//! Comments (`//` to the end of the line, `/* … */`) are skipped. A `` `command` `` and a
//! `%{ code }%` are one token each, whatever they hold.

use crate::error::ParseError;
use crate::script::Span;

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// An integer (decimal or `0x` hex); `text` keeps the spelling for times.
    Int(i64),
    /// A number with a decimal point (`.01`, `1.5`).
    Float(f64),
    Ident(String),
    Str(String),
    /// `` `…` ``: the text between the backticks.
    Command(String),
    /// `%{ … }%`: the text between the braces.
    Code(String),
    /// `--name=value` or `--name`.
    Option(String, Option<String>),
    Ellipsis,
    Dot,
    Plus,
    Minus,
    Star,
    Tilde,
    Lt,
    Gt,
    Comma,
    Colon,
    Eq,
    Pipe,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Int(n) => format!("number {n}"),
            Tok::Float(x) => format!("number {x}"),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Str(s) => format!("string \"{s}\""),
            Tok::Command(_) => "a `shell command`".to_string(),
            Tok::Code(_) => "a %{ code }% block".to_string(),
            Tok::Option(n, _) => format!("option --{n}"),
            other => format!("`{}`", punct(other)),
        }
    }
}

fn punct(t: &Tok) -> &'static str {
    match t {
        Tok::Ellipsis => "...",
        Tok::Dot => ".",
        Tok::Plus => "+",
        Tok::Minus => "-",
        Tok::Star => "*",
        Tok::Tilde => "~",
        Tok::Lt => "<",
        Tok::Gt => ">",
        Tok::Comma => ",",
        Tok::Colon => ":",
        Tok::Eq => "=",
        Tok::Pipe => "|",
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::LBracket => "[",
        Tok::RBracket => "]",
        Tok::LBrace => "{",
        Tok::RBrace => "}",
        _ => "?",
    }
}

/// A token and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
    col: u32,
}

/// Splits `src` into tokens.
pub fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut lx = Lexer {
        src: src.as_bytes(),
        pos: 0,
        line: 1,
        col: 1,
    };
    let mut out = Vec::new();
    while let Some(t) = lx.next_token()? {
        out.push(t);
    }
    Ok(out)
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> Option<u8> {
        self.src.get(self.pos + k).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek(0)?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
            self.col = 1;
        } else if c & 0xC0 != 0x80 {
            // Columns count characters, not the continuation bytes of UTF-8.
            self.col += 1;
        }
        Some(c)
    }

    fn span(&self) -> Span {
        Span {
            line: self.line,
            col: self.col,
        }
    }

    fn text(&self, from: usize) -> String {
        String::from_utf8_lossy(&self.src[from..self.pos]).into_owned()
    }

    /// Skips blanks and comments.
    fn skip_trivia(&mut self) -> Result<(), ParseError> {
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some(c), _) if c.is_ascii_whitespace() => {
                    self.bump();
                }
                (Some(b'/'), Some(b'/')) => {
                    while self.peek(0).is_some_and(|c| c != b'\n') {
                        self.bump();
                    }
                }
                (Some(b'/'), Some(b'*')) => {
                    let at = self.span();
                    self.bump();
                    self.bump();
                    loop {
                        match (self.peek(0), self.peek(1)) {
                            (Some(b'*'), Some(b'/')) => break,
                            (None, _) => return Err(ParseError::at(at, "unterminated /* comment")),
                            _ => self.bump(),
                        };
                    }
                    self.bump();
                    self.bump();
                }
                _ => return Ok(()),
            }
        }
    }

    fn next_token(&mut self) -> Result<Option<Token>, ParseError> {
        self.skip_trivia()?;
        let span = self.span();
        let Some(c) = self.peek(0) else {
            return Ok(None);
        };
        let tok = match c {
            b'0'..=b'9' => self.number(span)?,
            b'.' if self.peek(1).is_some_and(|d| d.is_ascii_digit()) => self.number(span)?,
            b'.' if self.peek(1) == Some(b'.') && self.peek(2) == Some(b'.') => {
                self.pos += 3;
                self.col += 3;
                Tok::Ellipsis
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.ident(),
            b'"' => self.delimited(span, b'"', "string").map(Tok::Str)?,
            b'`' => self.delimited(span, b'`', "`command`").map(Tok::Command)?,
            b'%' if self.peek(1) == Some(b'{') => self.code(span)?,
            b'-' if self.peek(1) == Some(b'-') => self.option(),
            _ => self.punct(span)?,
        };
        Ok(Some(Token { tok, span }))
    }

    fn number(&mut self, span: Span) -> Result<Tok, ParseError> {
        let from = self.pos;
        if self.peek(0) == Some(b'0') && matches!(self.peek(1), Some(b'x' | b'X')) {
            self.bump();
            self.bump();
            while self.peek(0).is_some_and(|c| c.is_ascii_hexdigit()) {
                self.bump();
            }
            let digits = self.text(from + 2);
            return i64::from_str_radix(&digits, 16)
                .map(Tok::Int)
                .map_err(|_| ParseError::at(span, "expected hex digits after 0x"));
        }
        while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        // A decimal point only when a digit follows: `1...2` is 1, `...`, 2.
        let fraction =
            self.peek(0) == Some(b'.') && self.peek(1).is_some_and(|c| c.is_ascii_digit());
        if fraction {
            self.bump();
            while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
            let text = self.text(from);
            return text
                .parse()
                .map(Tok::Float)
                .map_err(|_| ParseError::at(span, format!("bad number `{text}`")));
        }
        let text = self.text(from);
        text.parse()
            .map(Tok::Int)
            .map_err(|_| ParseError::at(span, format!("number `{text}` is too large")))
    }

    fn ident(&mut self) -> Tok {
        let from = self.pos;
        while self
            .peek(0)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.bump();
        }
        Tok::Ident(self.text(from))
    }

    /// Text up to the closing `close`, which may be on a later line.
    fn delimited(&mut self, span: Span, close: u8, what: &str) -> Result<String, ParseError> {
        self.bump();
        let from = self.pos;
        while self.peek(0).is_some_and(|c| c != close) {
            self.bump();
        }
        if self.peek(0).is_none() {
            return Err(ParseError::at(span, format!("unterminated {what}")));
        }
        let text = self.text(from);
        self.bump();
        Ok(text)
    }

    fn code(&mut self, span: Span) -> Result<Tok, ParseError> {
        self.bump();
        self.bump();
        let from = self.pos;
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some(b'}'), Some(b'%')) => break,
                (None, _) => return Err(ParseError::at(span, "unterminated %{ code }% block")),
                _ => self.bump(),
            };
        }
        let text = self.text(from);
        self.bump();
        self.bump();
        Ok(Tok::Code(text))
    }

    /// `--name=value` up to the next blank.
    fn option(&mut self) -> Tok {
        self.bump();
        self.bump();
        let from = self.pos;
        while self.peek(0).is_some_and(|c| !c.is_ascii_whitespace()) {
            self.bump();
        }
        let text = self.text(from);
        match text.split_once('=') {
            Some((n, v)) => Tok::Option(n.to_string(), Some(v.to_string())),
            None => Tok::Option(text, None),
        }
    }

    fn punct(&mut self, span: Span) -> Result<Tok, ParseError> {
        let c = self.peek(0).expect("checked by the caller");
        let tok = match c {
            b'.' => Tok::Dot,
            b'+' => Tok::Plus,
            b'-' => Tok::Minus,
            b'*' => Tok::Star,
            b'~' => Tok::Tilde,
            b'<' => Tok::Lt,
            b'>' => Tok::Gt,
            b',' => Tok::Comma,
            b':' => Tok::Colon,
            b'=' => Tok::Eq,
            b'|' => Tok::Pipe,
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b'{' => Tok::LBrace,
            b'}' => Tok::RBrace,
            _ => {
                let ch = std::str::from_utf8(&self.src[self.pos..])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map_or_else(|| format!("byte 0x{c:02x}"), |ch| format!("`{ch}`"));
                return Err(ParseError::at(span, format!("unexpected character {ch}")));
            }
        };
        self.bump();
        Ok(tok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn times_ranges_and_ellipses() {
        assert_eq!(
            toks("+.1...0.200 +.3~+.4"),
            vec![
                Tok::Plus,
                Tok::Float(0.1),
                Tok::Ellipsis,
                Tok::Float(0.2),
                Tok::Plus,
                Tok::Float(0.3),
                Tok::Tilde,
                Tok::Plus,
                Tok::Float(0.4)
            ]
        );
        assert_eq!(toks("1...2"), vec![Tok::Int(1), Tok::Ellipsis, Tok::Int(2)]);
    }

    #[test]
    fn flags_and_sequence_numbers() {
        assert_eq!(
            toks("P. 1:1001(1000) // comment\n"),
            vec![
                Tok::Ident("P".into()),
                Tok::Dot,
                Tok::Int(1),
                Tok::Colon,
                Tok::Int(1001),
                Tok::LParen,
                Tok::Int(1000),
                Tok::RParen
            ]
        );
    }

    #[test]
    fn errors_have_line_and_column() {
        let e = lex("0 socket()\n  +0 @").unwrap_err();
        assert_eq!((e.span.line, e.span.col), (2, 6));
        let e = lex("`unterminated").unwrap_err();
        assert_eq!((e.span.line, e.span.col), (1, 1));
    }
}
