//! Before running: does the script use something synack has no model for? Then it is
//! **unsupported**, with the reason, whatever else it holds — never a pass, and not a failure
//! of synack either.

use synack_tcp::config::Config;

use crate::script::{Event, EventKind, Expr, Packet, Script, ScriptOption, TcpOption};
use crate::sysctl::run_shell;
use crate::tcpinfo::assertions;

/// The system calls the runner implements.
const SYSCALLS: &[&str] = &[
    "socket",
    "bind",
    "listen",
    "accept",
    "connect",
    "write",
    "send",
    "sendto",
    "read",
    "recv",
    "recvfrom",
    "shutdown",
    "close",
    "fcntl",
    "setsockopt",
    "getsockopt",
];

/// Socket options the runner implements (see [`crate::run`]).
const SOCKOPTS: &[&str] = &[
    "SO_REUSEADDR",
    "TCP_NODELAY",
    "SO_LINGER",
    "TCP_MAXSEG",
    "SO_SNDBUF",
    "SO_RCVBUF",
    "TCP_CONGESTION",
    "TCP_USER_TIMEOUT",
    "SO_ERROR",
];

/// Script options that change nothing synack models, or that it honours.
const OPTIONS: &[&str] = &["tolerance_usecs", "tolerance_percent", "tcp_ts_tick_usecs"];

/// The first thing in `script` synack cannot run, as `line N: what`.
pub fn unsupported(script: &Script) -> Option<String> {
    script
        .options
        .iter()
        .find_map(option)
        .or_else(|| script.events.iter().find_map(event))
}

fn option(o: &ScriptOption) -> Option<String> {
    let ok = OPTIONS.contains(&o.name.as_str())
        || (o.name == "ip_version" && o.value.as_deref() == Some("ipv4"));
    (!ok).then(|| {
        let value = o
            .value
            .as_deref()
            .map(|v| format!("={v}"))
            .unwrap_or_default();
        format!("line {}: script option --{}{value}", o.span.line, o.name)
    })
}

fn event(e: &Event) -> Option<String> {
    let why = match &e.kind {
        EventKind::Packet(p) => packet(p),
        EventKind::Syscall(c) if !SYSCALLS.contains(&c.name.as_str()) => {
            Some(format!("system call {}", c.name))
        }
        EventKind::Syscall(c) => syscall(&c.name, &c.args),
        EventKind::Command(text) => run_shell(text, &mut Config::linux()).unsupported,
        EventKind::Code(code) => assertions(code).err(),
    };
    why.map(|w| format!("line {}: {w}", e.span.line))
}

fn packet(p: &Packet) -> Option<String> {
    if let Some(why) = &p.unsupported {
        return Some(why.clone());
    }
    if let Some(mark) = p.ecn.as_deref().filter(|m| ecn_mark(m).is_none()) {
        return Some(format!("ECN mark [{mark}]"));
    }
    if p.flags.urg {
        return Some("urgent data (U flag)".into());
    }
    match &p.options {
        crate::script::Options::List(list) => list.iter().find_map(|o| match o {
            TcpOption::Other(name) => Some(format!("TCP option `{name}`")),
            _ => None,
        }),
        _ => None,
    }
}

fn syscall(name: &str, args: &[Expr]) -> Option<String> {
    let ident = |i: usize| match args.get(i) {
        Some(Expr::Ident(s)) => Some(s.as_str()),
        _ => None,
    };
    match name {
        "setsockopt" | "getsockopt" => match ident(2) {
            Some(opt) if SOCKOPTS.contains(&opt) => None,
            other => Some(format!("{name} {}", other.unwrap_or("(not a name)"))),
        },
        "socket" => {
            let stream = match args.get(1) {
                Some(Expr::Ident(s)) => s == "SOCK_STREAM",
                Some(Expr::Or(alts)) => alts.contains(&Expr::Ident("SOCK_STREAM".into())),
                _ => false,
            };
            (!stream).then(|| "a socket other than SOCK_STREAM".to_string())
        }
        // Flags on send/recv (MSG_MORE, MSG_ZEROCOPY, MSG_PEEK, …) are not modelled.
        "send" | "sendto" | "recv" | "recvfrom" => match args.get(3) {
            None | Some(Expr::Int(0)) => None,
            Some(Expr::Ident(f)) => Some(format!("{name} flag {f}")),
            Some(_) => Some(format!("{name} flags")),
        },
        _ => None,
    }
}

/// packetdrill's IP ECN marks (`[noecn]`, `[ect0]`, `[ect1]`, `[ce]`, `[ect01]`): the
/// codepoints a line stands for, `None` for a mark packetdrill does not know.
pub(crate) fn ecn_mark(mark: &str) -> Option<&'static [synack_tcp::Ecn]> {
    use synack_tcp::Ecn;
    Some(match mark {
        "noecn" => &[Ecn::NotEct],
        "ect0" => &[Ecn::Ect0],
        "ect1" => &[Ecn::Ect1],
        "ce" => &[Ecn::Ce],
        "ect01" => &[Ecn::Ect0, Ecn::Ect1],
        _ => return None,
    })
}
