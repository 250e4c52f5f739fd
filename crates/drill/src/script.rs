//! The AST of a packetdrill script: what [`parse`](crate::parse) makes and
//! [`run`](crate::run) interprets. Every event keeps the line and column it starts at.
//!
//! Times are microseconds, as packetdrill counts them. Sequence and acknowledgment numbers
//! are kept as the script writes them (relative to the ISNs, see [`crate::run`]).

use std::fmt;

/// Where something starts in the script: 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A whole script.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    /// `--name=value` lines, in order.
    pub options: Vec<ScriptOption>,
    pub events: Vec<Event>,
}

/// A `--name=value` line (packetdrill's command-line flags, given in the script).
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptOption {
    pub span: Span,
    pub name: String,
    pub value: Option<String>,
}

/// When an event happens, as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSpec {
    /// `*`: any time.
    Any,
    /// `1.5`: seconds since the script started.
    Absolute(i64),
    /// `+0.1`: after the previous event.
    Relative(i64),
    /// `1~2`: absolute range.
    AbsoluteRange(i64, i64),
    /// `+1~+2`: relative range.
    RelativeRange(i64, i64),
    /// A shell command at the top of the script, with no time.
    Untimed,
}

/// One line of the script (which may span several lines of text).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub span: Span,
    pub time: TimeSpec,
    /// `start...end`: the time a blocking system call returns (microseconds, absolute for
    /// an absolute start, else after the same base as the start).
    pub end: Option<i64>,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    Packet(Packet),
    Syscall(Syscall),
    /// A `` `shell command` ``.
    Command(String),
    /// A `%{ python }%` block.
    Code(String),
}

/// Which way a packet goes, as seen from the stack under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `<`: injected into the stack.
    Inbound,
    /// `>`: the stack must send it.
    Outbound,
}

/// TCP flags as written: `S`, `.` (ACK), `F`, `R`, `P`, and ECN's `E`, `W`, `U`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PacketFlags {
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
    pub ack: bool,
    pub ece: bool,
    pub cwr: bool,
    pub urg: bool,
}

impl fmt::Display for PacketFlags {
    /// packetdrill's spelling: `S`, `F`, `R`, `P`, `E`, `W`, `U`, then `.` for ACK.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letters = [
            (self.syn, 'S'),
            (self.fin, 'F'),
            (self.rst, 'R'),
            (self.psh, 'P'),
            (self.ece, 'E'),
            (self.cwr, 'W'),
            (self.urg, 'U'),
            (self.ack, '.'),
        ];
        for (set, c) in letters {
            if set {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// A TCP option as written between `<` and `>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpOption {
    Nop,
    Eol,
    Mss(u16),
    SackPermitted,
    WindowScale(u8),
    Timestamp {
        val: u32,
        ecr: u32,
    },
    Sack(Vec<(u32, u32)>),
    /// An option synack has no model for (`md5`, `FO`, …): the name.
    Other(String),
}

impl fmt::Display for TcpOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcpOption::Nop => f.write_str("nop"),
            TcpOption::Eol => f.write_str("eol"),
            TcpOption::Mss(m) => write!(f, "mss {m}"),
            TcpOption::SackPermitted => f.write_str("sackOK"),
            TcpOption::WindowScale(s) => write!(f, "wscale {s}"),
            TcpOption::Timestamp { val, ecr } => write!(f, "TS val {val} ecr {ecr}"),
            TcpOption::Sack(blocks) => {
                f.write_str("sack")?;
                for (a, b) in blocks {
                    write!(f, " {a}:{b}")?;
                }
                Ok(())
            }
            TcpOption::Other(name) => f.write_str(name),
        }
    }
}

/// The options of a packet line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Options {
    /// No `<…>`: the packet carries no options.
    None,
    /// `<...>`: any options.
    Any,
    List(Vec<TcpOption>),
}

/// A packet line: `< S. 0:0(0) ack 1 win 32792 <mss 1000>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Packet {
    pub direction: Direction,
    /// `[ect0]`, `[noecn]`, `[ect1]`, `[ce]`, `[ect01]`: the IP header's ECN field, set on an
    /// inbound packet and checked on an outbound one (unchecked when absent).
    pub ecn: Option<String>,
    pub flags: PacketFlags,
    /// `start:end(len)`, relative sequence numbers.
    pub seq: u32,
    pub end: u32,
    pub len: u32,
    pub ack: Option<u32>,
    pub win: Option<u32>,
    pub options: Options,
    /// Something after the packet's protocol that synack cannot model (`udp`, `icmp`…).
    pub unsupported: Option<String>,
    /// synack's dialect, `[remote_port N]`: the script side's port for this packet, when it
    /// is not the socket under test's (see [`crate::run`]). packetdrill has one remote port.
    pub remote_port: Option<u16>,
}

/// A value in a system call's arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `...`: anything.
    Ellipsis,
    Int(i64),
    Str(String),
    /// A symbol such as `SOCK_STREAM`.
    Ident(String),
    /// `A|B|C`.
    Or(Vec<Expr>),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `{a, b}`.
    Struct(Vec<Expr>),
    /// `name(args)`.
    Call(String, Vec<Expr>),
    /// `field=value` inside a struct.
    Assign(Box<Expr>, Box<Expr>),
}

/// The expected result of a system call: `= 3`, `= -1 EAGAIN (…)`.
#[derive(Clone, Debug, PartialEq)]
pub struct SyscallResult {
    /// `None` for `= ...` (anything).
    pub value: Option<i64>,
    pub errno: Option<String>,
}

/// A system call line: `connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Syscall {
    pub name: String,
    pub args: Vec<Expr>,
    pub result: SyscallResult,
}
