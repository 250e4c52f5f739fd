//! What a run found, and packetdrill's way of saying it: the line, what went wrong, and the
//! script's packet beside the one actually sent.

use std::fmt::{self, Write};

use crate::script::{Options, PacketFlags, TcpOption};

/// How a script ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// The first mismatch.
    Fail(Failure),
    /// The script needs something synack does not model: why.
    Unsupported(String),
    /// The script is malformed (or unreadable): `LINE:COL: what was expected`.
    Error(String),
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "fail",
            Outcome::Unsupported(_) => "unsupported",
            Outcome::Error(_) => "error",
        }
    }

    /// One line saying why (empty for a pass).
    pub fn reason(&self) -> String {
        match self {
            Outcome::Pass => String::new(),
            Outcome::Fail(f) => format!("line {}: {}", f.line, f.what),
            Outcome::Unsupported(why) | Outcome::Error(why) => why.clone(),
        }
    }
}

/// The first difference between the script and synack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub line: u32,
    /// `error handling packet`, `runtime error in connect call`…
    pub context: String,
    /// What differed, on one line.
    pub what: String,
    /// `script packet: …` and `actual packet: …` lines, when a packet was involved.
    pub detail: Vec<String>,
}

impl Failure {
    /// packetdrill's layout: `FILE:LINE: CONTEXT: WHAT`, then the detail lines.
    pub fn render(&self, file: &str) -> String {
        let mut s = format!("{file}:{}: {}: {}", self.line, self.context, self.what);
        for d in &self.detail {
            let _ = write!(s, "\n{d}");
        }
        s
    }
}

/// A packet as packetdrill prints one, sequence numbers relative.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketView {
    /// Seconds since the script started, in microseconds.
    pub time_us: i64,
    /// synack's dialect: the script side's port, shown as `[remote_port N]` when the line
    /// names one or the packet went elsewhere.
    pub remote_port: Option<u16>,
    pub flags: PacketFlags,
    pub seq: u32,
    pub len: u32,
    pub ack: Option<u32>,
    pub win: Option<u32>,
    pub options: Options,
}

impl fmt::Display for PacketView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.time_us as f64 / 1e6;
        write!(f, "{secs:.6} ")?;
        if let Some(port) = self.remote_port {
            write!(f, "[remote_port {port}] ")?;
        }
        write!(
            f,
            "{} {}:{}({})",
            self.flags,
            self.seq,
            self.seq.wrapping_add(self.len),
            self.len
        )?;
        if let Some(a) = self.ack {
            write!(f, " ack {a}")?;
        }
        if let Some(w) = self.win {
            write!(f, " win {w}")?;
        }
        match &self.options {
            Options::None => Ok(()),
            Options::List(list) if list.is_empty() => Ok(()),
            Options::Any => f.write_str(" <...>"),
            Options::List(list) => write!(f, " <{}>", option_list(list)),
        }
    }
}

/// `mss 1460,sackOK,nop,wscale 7`.
pub fn option_list(list: &[TcpOption]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
