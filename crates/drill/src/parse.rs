//! The parser: tokens into a [`Script`], by recursive descent over packetdrill's grammar
//! (`parser.y` upstream) as the TCP scripts use it.
//!
//! An event is a time, then a packet (`<` or `>`), a system call, a `` `command` `` or a
//! `%{ code }%`. A `` `command` `` or a `--option` may also stand alone, before the first
//! timed event. Packets of other protocols (`udp`, `icmp`, IP headers, encapsulation) parse
//! as TCP packets marked unsupported; the rest of their line is skipped.

use crate::error::ParseError;
use crate::lex::{lex, Tok, Token};
use crate::script::{
    Direction, Event, EventKind, Expr, Options, Packet, PacketFlags, Script, ScriptOption, Span,
    Syscall, SyscallResult, TcpOption, TimeSpec,
};

/// Parses a whole script.
pub fn parse(src: &str) -> Result<Script, ParseError> {
    let tokens = lex(src)?;
    let end = Span {
        line: src.lines().count().max(1) as u32 + 1,
        col: 1,
    };
    let mut p = Parser {
        toks: tokens,
        pos: 0,
        end,
        depth: 0,
    };
    p.script()
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    /// Where "end of script" is reported.
    end: Span,
    /// How deep in `[`, `{` and `(` the argument being parsed is.
    depth: u32,
}

/// The deepest nesting of arguments accepted (the scripts use three).
const MAX_DEPTH: u32 = 64;

/// The largest time a script may give: about 31 years, so that sums of times stay exact.
const MAX_SECONDS: f64 = 1e9;

/// Seconds as written (`1`, `.01`) into microseconds.
fn usecs(t: &Tok) -> Option<i64> {
    let secs = match *t {
        Tok::Int(n) => n as f64,
        Tok::Float(x) => x,
        _ => return None,
    };
    (secs.is_finite() && secs.abs() <= MAX_SECONDS).then(|| (secs * 1e6).round() as i64)
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn span(&self) -> Span {
        self.toks.get(self.pos).map_or(self.end, |t| t.span)
    }

    fn bump(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.tok.clone());
        self.pos += 1;
        t
    }

    /// An error at the current token: "expected X, found Y".
    fn expected<T>(&self, what: &str) -> Result<T, ParseError> {
        let found = self
            .peek()
            .map_or_else(|| "end of script".to_string(), Tok::describe);
        Err(ParseError::at(
            self.span(),
            format!("expected {what}, found {found}"),
        ))
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &Tok, what: &str) -> Result<(), ParseError> {
        if self.eat(t) {
            Ok(())
        } else {
            self.expected(what)
        }
    }

    fn int(&mut self, what: &str) -> Result<i64, ParseError> {
        match self.peek() {
            Some(&Tok::Int(n)) => {
                self.pos += 1;
                Ok(n)
            }
            _ => self.expected(what),
        }
    }

    /// An integer in `0..=max`.
    fn bounded(&mut self, what: &str, max: i64) -> Result<i64, ParseError> {
        let span = self.span();
        let n = self.int(what)?;
        if !(0..=max).contains(&n) {
            return Err(ParseError::at(
                span,
                format!("{what} out of range 0..={max}"),
            ));
        }
        Ok(n)
    }

    fn script(&mut self) -> Result<Script, ParseError> {
        let mut script = Script::default();
        while let Some(t) = self.peek() {
            let span = self.span();
            match t.clone() {
                Tok::Option(name, value) => {
                    self.pos += 1;
                    check_option(span, &name, value.as_deref())?;
                    script.options.push(ScriptOption { span, name, value });
                }
                Tok::Command(text) => {
                    self.pos += 1;
                    script.events.push(Event {
                        span,
                        time: TimeSpec::Untimed,
                        end: None,
                        kind: EventKind::Command(text),
                    });
                }
                _ => script.events.push(self.event()?),
            }
        }
        Ok(script)
    }

    fn event(&mut self) -> Result<Event, ParseError> {
        let span = self.span();
        let (time, end) = self.time()?;
        let kind = match self.peek().cloned() {
            Some(Tok::Lt) => EventKind::Packet(self.packet(Direction::Inbound)?),
            Some(Tok::Gt) => EventKind::Packet(self.packet(Direction::Outbound)?),
            Some(Tok::Command(text)) => {
                self.pos += 1;
                EventKind::Command(text)
            }
            Some(Tok::Code(text)) => {
                self.pos += 1;
                EventKind::Code(text)
            }
            Some(Tok::Ident(_)) => EventKind::Syscall(self.syscall()?),
            _ => return self.expected("`<`, `>`, a system call, a `command` or %{ code }%"),
        };
        if end.is_some() && !matches!(kind, EventKind::Syscall(_)) {
            return Err(ParseError::at(
                span,
                "a `start...end` time is only for a (blocking) system call",
            ));
        }
        Ok(Event {
            span,
            time,
            end,
            kind,
        })
    }

    /// `*`, `T`, `+T`, `T~T`, `+T~+T`, and an optional `...END`.
    fn time(&mut self) -> Result<(TimeSpec, Option<i64>), ParseError> {
        if self.eat(&Tok::Star) {
            return Ok((TimeSpec::Any, None));
        }
        let relative = self.eat(&Tok::Plus);
        let start = self.seconds("a time (such as `0`, `+.1` or `*`)")?;
        let time = if self.eat(&Tok::Tilde) {
            let rel_end = self.eat(&Tok::Plus);
            if rel_end != relative {
                return self.expected(if relative {
                    "`+` (a relative range is `+A~+B`)"
                } else {
                    "an absolute end time (an absolute range is `A~B`)"
                });
            }
            let end = self.seconds("the end of the time range")?;
            if end < start {
                return Err(ParseError::at(
                    self.span(),
                    "a time range must not end before it starts",
                ));
            }
            if relative {
                TimeSpec::RelativeRange(start, end)
            } else {
                TimeSpec::AbsoluteRange(start, end)
            }
        } else if relative {
            TimeSpec::Relative(start)
        } else {
            TimeSpec::Absolute(start)
        };
        let end = if self.eat(&Tok::Ellipsis) {
            Some(self.seconds("the time a blocking call returns, after `...`")?)
        } else {
            None
        };
        Ok((time, end))
    }

    fn seconds(&mut self, what: &str) -> Result<i64, ParseError> {
        match self.peek().and_then(usecs) {
            Some(us) => {
                self.pos += 1;
                Ok(us)
            }
            None if matches!(self.peek(), Some(Tok::Int(_) | Tok::Float(_))) => {
                Err(ParseError::at(
                    self.span(),
                    format!("{what}: out of range (at most {MAX_SECONDS} s)"),
                ))
            }
            None => self.expected(what),
        }
    }

    fn packet(&mut self, direction: Direction) -> Result<Packet, ParseError> {
        let line = self.span().line;
        self.pos += 1;
        let (mut ecn, mut remote_port) = (None, None);
        while self.eat(&Tok::LBracket) {
            match self.bump() {
                // synack's dialect (crate::run): the script side's port.
                Some(Tok::Ident(s)) if s == "remote_port" => {
                    let port = self.bounded("a port", u16::MAX.into())?;
                    remote_port = Some(port as u16);
                }
                Some(Tok::Ident(s)) => ecn = Some(s),
                _ => {
                    self.pos -= 1;
                    return self.expected("an IP ECN mark such as `ect0`, or `remote_port N`");
                }
            }
            self.expect(&Tok::RBracket, "`]`")?;
        }
        if let Some(Tok::Ident(word)) = self.peek() {
            let word = word.clone();
            if matches!(
                word.as_str(),
                "udp" | "icmp" | "ipv4" | "ipv6" | "gre" | "mpls" | "psp"
            ) {
                self.skip_line(line);
                return Ok(unsupported_packet(direction, format!("`{word}` packets")));
            }
        }
        let flags = self.flags()?;
        let (seq, end, len) = self.seq()?;
        let mut packet = Packet {
            direction,
            ecn,
            flags,
            seq,
            end,
            len,
            ack: None,
            win: None,
            options: Options::None,
            unsupported: None,
            remote_port,
        };
        if self.eat_word("ack") {
            packet.ack = Some(self.bounded("an ack number", u32::MAX.into())? as u32);
        }
        if self.eat_word("win") {
            packet.win = Some(self.bounded("a window", u16::MAX.into())? as u32);
        } else if direction == Direction::Inbound {
            return self.expected("`win N` (inbound packets must give a window)");
        }
        if self.eat_word("urg") {
            self.int("an urgent pointer")?;
            packet.unsupported = Some("the urgent pointer".into());
        }
        if self.eat(&Tok::Lt) {
            packet.options = self.options(direction)?;
        }
        Ok(packet)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(s)) if s == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips the rest of line `line`.
    fn skip_line(&mut self, line: u32) {
        while self.toks.get(self.pos).is_some_and(|t| t.span.line == line) {
            self.pos += 1;
        }
    }

    /// `S`, `S.`, `.`, `P.`, `FP.`, `SEW`, `-` (no flags).
    fn flags(&mut self) -> Result<PacketFlags, ParseError> {
        let mut f = PacketFlags::default();
        if self.eat(&Tok::Minus) {
            return Ok(f);
        }
        let span = self.span();
        let mut any = false;
        if let Some(Tok::Ident(word)) = self.peek() {
            let word = word.clone();
            for c in word.chars() {
                let bit = match c {
                    'S' => &mut f.syn,
                    'F' => &mut f.fin,
                    'R' => &mut f.rst,
                    'P' => &mut f.psh,
                    'E' => &mut f.ece,
                    'W' => &mut f.cwr,
                    'U' => &mut f.urg,
                    _ => {
                        return Err(ParseError::at(
                            span,
                            format!("expected TCP flags (S, F, R, P, E, W, U, .), found `{word}`"),
                        ))
                    }
                };
                *bit = true;
            }
            self.pos += 1;
            any = true;
        }
        if self.eat(&Tok::Dot) {
            f.ack = true;
            any = true;
        }
        if !any {
            return self.expected("TCP flags (such as `S`, `.`, `P.` or `F.`)");
        }
        Ok(f)
    }

    /// `start:end(len)`.
    fn seq(&mut self) -> Result<(u32, u32, u32), ParseError> {
        let span = self.span();
        let start = self.bounded("a start sequence number", u32::MAX.into())?;
        self.expect(&Tok::Colon, "`:` in `start:end(len)`")?;
        let end = self.bounded("an end sequence number", u32::MAX.into())?;
        self.expect(&Tok::LParen, "`(` in `start:end(len)`")?;
        let len = self.bounded("a payload length", u16::MAX.into())?;
        self.expect(&Tok::RParen, "`)` in `start:end(len)`")?;
        if (start + len) & 0xffff_ffff != end {
            return Err(ParseError::at(
                span,
                "inconsistent TCP sequence numbers and payload size: end must be start + len",
            ));
        }
        Ok((start as u32, end as u32, len as u32))
    }

    /// After `<`: `...>` or `opt, opt>`.
    fn options(&mut self, direction: Direction) -> Result<Options, ParseError> {
        if self.eat(&Tok::Ellipsis) {
            if direction == Direction::Inbound {
                return Err(ParseError::at(
                    self.span(),
                    "<...> for TCP options can only be used with outbound packets",
                ));
            }
            self.expect(&Tok::Gt, "`>` after `<...`")?;
            return Ok(Options::Any);
        }
        let mut list = vec![self.option()?];
        while self.eat(&Tok::Comma) {
            list.push(self.option()?);
        }
        self.expect(&Tok::Gt, "`,` or `>` in the option list")?;
        Ok(Options::List(list))
    }

    fn option(&mut self) -> Result<TcpOption, ParseError> {
        let Some(Tok::Ident(name)) = self.peek().cloned() else {
            return self.expected("a TCP option (mss, nop, sackOK, wscale, TS, sack…)");
        };
        self.pos += 1;
        Ok(match name.as_str() {
            "nop" => TcpOption::Nop,
            "eol" => TcpOption::Eol,
            "mss" => TcpOption::Mss(self.bounded("an MSS", u16::MAX.into())? as u16),
            "sackOK" => TcpOption::SackPermitted,
            "wscale" => TcpOption::WindowScale(self.bounded("a window scale", 255)? as u8),
            "TS" => {
                if !self.eat_word("val") {
                    return self.expected("`val` after `TS`");
                }
                let val = self.bounded("a TS value", u32::MAX.into())? as u32;
                if !self.eat_word("ecr") {
                    return self.expected("`ecr` in `TS val N ecr N`");
                }
                let ecr = self.bounded("a TS echo reply", u32::MAX.into())? as u32;
                TcpOption::Timestamp { val, ecr }
            }
            "sack" => {
                let mut blocks = Vec::new();
                while matches!(self.peek(), Some(Tok::Int(_))) {
                    let a = self.bounded("a SACK block start", u32::MAX.into())? as u32;
                    self.expect(&Tok::Colon, "`:` in a SACK block `a:b`")?;
                    let b = self.bounded("a SACK block end", u32::MAX.into())? as u32;
                    blocks.push((a, b));
                }
                TcpOption::Sack(blocks)
            }
            _ => {
                // An option synack does not model (md5, FO, exp-tfo, …): skip its value.
                while !matches!(self.peek(), Some(Tok::Comma | Tok::Gt) | None) {
                    self.pos += 1;
                }
                TcpOption::Other(name)
            }
        })
    }

    fn syscall(&mut self) -> Result<Syscall, ParseError> {
        let Some(Tok::Ident(name)) = self.bump() else {
            unreachable!("called on an identifier")
        };
        self.expect(&Tok::LParen, "`(` after the system call's name")?;
        let args = self.exprs(&Tok::RParen, "`,` or `)` in the arguments")?;
        self.expect(&Tok::Eq, "`=` and the expected result")?;
        let result = if self.eat(&Tok::Ellipsis) {
            SyscallResult {
                value: None,
                errno: None,
            }
        } else {
            let negative = self.eat(&Tok::Minus);
            let n = self.int("the expected return value")?;
            let mut result = SyscallResult {
                value: Some(if negative { -n } else { n }),
                errno: None,
            };
            if let Some(Tok::Ident(e)) = self.peek().cloned() {
                self.pos += 1;
                result.errno = Some(e);
            }
            // `(Operation now in progress)`, `(flags O_RDWR)`: free text.
            if self.peek() == Some(&Tok::LParen) {
                self.skip_parens()?;
            }
            result
        };
        Ok(Syscall { name, args, result })
    }

    /// `(free text)` after an errno name.
    fn skip_parens(&mut self) -> Result<(), ParseError> {
        let span = self.span();
        let mut depth = 0;
        loop {
            match self.bump() {
                Some(Tok::LParen) => depth += 1,
                Some(Tok::RParen) => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Some(_) => {}
                None => return Err(ParseError::at(span, "unclosed `(` after the errno")),
            }
        }
    }

    /// Expressions separated by commas, up to and including `close`.
    fn exprs(&mut self, close: &Tok, what: &str) -> Result<Vec<Expr>, ParseError> {
        let mut out = Vec::new();
        if self.eat(close) {
            return Ok(out);
        }
        loop {
            out.push(self.expr()?);
            if self.eat(close) {
                return Ok(out);
            }
            self.expect(&Tok::Comma, what)?;
        }
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(ParseError::at(
                self.span(),
                format!("arguments nested more than {MAX_DEPTH} deep"),
            ));
        }
        self.depth += 1;
        let e = self.expr_inner();
        self.depth -= 1;
        e
    }

    fn expr_inner(&mut self) -> Result<Expr, ParseError> {
        let first = self.primary()?;
        let e = if self.peek() == Some(&Tok::Pipe) {
            let mut alts = vec![first];
            while self.eat(&Tok::Pipe) {
                alts.push(self.primary()?);
            }
            Expr::Or(alts)
        } else {
            first
        };
        if self.eat(&Tok::Eq) {
            return Ok(Expr::Assign(Box::new(e), Box::new(self.expr()?)));
        }
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let span = self.span();
        Ok(match self.bump() {
            Some(Tok::Ellipsis) => Expr::Ellipsis,
            Some(Tok::Int(n)) => Expr::Int(n),
            Some(Tok::Minus) => match self.bump() {
                Some(Tok::Int(n)) => Expr::Int(-n),
                _ => {
                    self.pos -= 1;
                    return self.expected("a number after `-`");
                }
            },
            Some(Tok::Str(s)) => Expr::Str(s),
            Some(Tok::LBracket) => Expr::List(self.exprs(&Tok::RBracket, "`,` or `]`")?),
            Some(Tok::LBrace) => Expr::Struct(self.exprs(&Tok::RBrace, "`,` or `}`")?),
            Some(Tok::Ident(name)) if self.peek() == Some(&Tok::LParen) => {
                self.pos += 1;
                Expr::Call(name, self.exprs(&Tok::RParen, "`,` or `)`")?)
            }
            Some(Tok::Ident(name)) => Expr::Ident(name),
            _ => {
                self.pos -= 1;
                let _ = span;
                return self.expected("an argument (a number, a name, `...`, `[…]` or `{…}`)");
            }
        })
    }
}

/// The largest `--tolerance_usecs`: an hour.
pub const MAX_TOLERANCE_USECS: i64 = 3_600_000_000;

/// The options whose values the runner reads must be well-formed.
fn check_option(span: Span, name: &str, value: Option<&str>) -> Result<(), ParseError> {
    let ok = match name {
        "tolerance_usecs" => value
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|v| v > 0),
        "tolerance_percent" => value
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(|v| (0.0..=100.0).contains(&v)),
        _ => true,
    };
    if ok {
        return Ok(());
    }
    let what = match name {
        "tolerance_usecs" => "a number of microseconds from 1 to 3600000000",
        _ => "a percentage from 0 to 100",
    };
    Err(ParseError::at(span, format!("--{name} expects {what}")))
}

fn unsupported_packet(direction: Direction, why: String) -> Packet {
    Packet {
        direction,
        ecn: None,
        flags: PacketFlags::default(),
        seq: 0,
        end: 0,
        len: 0,
        ack: None,
        win: None,
        options: Options::None,
        unsupported: Some(why),
        remote_port: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_and_a_call() {
        let s = parse(
            "--tolerance_usecs=10000\n`../common/defaults.sh`\n\
             0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
             +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n\
             +0 > S. 0:0(0) ack 1 <...>\n\
             +.1...0.2 accept(3, ..., ...) = 4\n\
             +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n\
             +0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n",
        )
        .unwrap();
        assert_eq!(s.options[0].value.as_deref(), Some("10000"));
        assert_eq!(s.events.len(), 7);
        let EventKind::Packet(p) = &s.events[2].kind else {
            panic!()
        };
        assert!(p.flags.syn && !p.flags.ack);
        assert_eq!(p.win, Some(32792));
        assert_eq!(
            p.options,
            Options::List(vec![
                TcpOption::Mss(1000),
                TcpOption::SackPermitted,
                TcpOption::Nop,
                TcpOption::Nop,
                TcpOption::Nop,
                TcpOption::WindowScale(7)
            ])
        );
        assert_eq!(s.events[4].time, TimeSpec::Relative(100_000));
        assert_eq!(s.events[4].end, Some(200_000));
        let EventKind::Syscall(c) = &s.events[5].kind else {
            panic!()
        };
        assert_eq!(c.result.value, Some(-1));
        assert_eq!(c.result.errno.as_deref(), Some("EINPROGRESS"));
    }

    #[test]
    fn errors_name_line_column_and_expectation() {
        let e = parse("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) <mss 1>\n")
            .unwrap_err();
        assert_eq!((e.span.line, e.span.col), (2, 15));
        assert!(e.message.contains("win"), "{e}");
        let e = parse("+0 > S 0:5(0)").unwrap_err();
        assert!(e.message.contains("inconsistent"), "{e}");
        let e = parse("+0 > . 1:1(0) ack").unwrap_err();
        assert!(e.message.contains("end of script"), "{e}");
    }
}
