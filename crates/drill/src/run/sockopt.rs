//! `setsockopt` and `getsockopt`: the options synack has a setting for.
//!
//! synack's settings are per stack, not per socket: an option that changes one
//! (`TCP_MAXSEG`, `SO_SNDBUF`, `SO_RCVBUF`, `TCP_CONGESTION`) rebuilds the stack, which is
//! possible only while no connection exists; set on a connected socket it makes the script
//! unsupported — but `SO_SNDBUF`, which sets that connection's own send buffer.

use synack_sim::Duration;
use synack_tcp::config::Congestion;

use super::{Fd, Runner, Sock, Stop, SysResult};
use crate::report::Outcome;
use crate::script::Expr;

/// Linux's `TCP_MSS_DEFAULT`: what `TCP_MAXSEG` reports before a connection has an MSS.
const TCP_MSS_DEFAULT: i64 = 536;

fn name(e: Option<&Expr>) -> &str {
    match e {
        Some(Expr::Ident(s)) => s,
        _ => "",
    }
}

/// `[N]` or `N`.
fn value(e: Option<&Expr>) -> Option<i64> {
    match e? {
        Expr::Int(n) => Some(*n),
        Expr::List(l) if l.len() == 1 => value(l.first()),
        _ => None,
    }
}

/// `{onoff=1, linger=0}`: (onoff, linger).
fn linger(e: Option<&Expr>) -> Option<(i64, i64)> {
    let Some(Expr::Struct(fields)) = e else {
        return None;
    };
    let field = |want: &str| {
        fields.iter().find_map(|f| match f {
            Expr::Assign(k, v) if matches!(&**k, Expr::Ident(n) if n == want) => value(Some(v)),
            _ => None,
        })
    };
    Some((field("onoff")?, field("linger")?))
}

impl Runner {
    pub(super) fn setsockopt(&mut self, line: u32, a: &[Expr]) -> Result<SysResult, Stop> {
        let (n, fd) = match self.fd(a.first()) {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        };
        let opt = name(a.get(2));
        let connected = matches!(fd.sock, Sock::Conn { .. });
        let v = value(a.get(3));
        let unsupported = |why: &str| Err(Outcome::Unsupported(format!("line {line}: {why}")));
        match (opt, v) {
            ("SO_REUSEADDR", _) => {}
            ("TCP_NODELAY", _) => self.note_once("TCP_NODELAY: synack has no Nagle (RFC 896); every socket sends as with TCP_NODELAY"),
            ("SO_LINGER", _) => match linger(a.get(3)) {
                Some((0, _)) => self.fd_mut(n).linger_zero = false,
                Some((_, 0)) => self.fd_mut(n).linger_zero = true,
                _ => return unsupported("SO_LINGER with a non-zero linger time"),
            },
            // Linux refuses an MSS outside its bounds with EINVAL (`do_tcp_setsockopt`); here
            // the bounds are those of synack's `mss` key.
            ("TCP_MAXSEG", Some(mss)) if !connected && !(1..=65495).contains(&mss) => {
                return Ok(Err(super::Errno::EINVAL))
            }
            ("TCP_MAXSEG", Some(mss)) if !connected => {
                self.reconfigure(line, "TCP_MAXSEG", |c| c.mss = mss as u32)?;
                self.fd_mut(n).user_mss = Some(mss as u32);
            }
            // Linux `do_tcp_setsockopt`: milliseconds, 0 clearing it, a negative value EINVAL;
            // a connection's own, or (set before one exists) every later connection's.
            ("TCP_USER_TIMEOUT", Some(ms)) if ms < 0 => return Ok(Err(super::Errno::EINVAL)),
            ("TCP_USER_TIMEOUT", Some(ms)) => {
                let timeout = (ms > 0).then(|| Duration::from_millis(ms as u64));
                if connected {
                    match self.live(&fd.sock) {
                        Some(id) => self.stack.connection_mut(id).set_user_timeout(timeout),
                        None => return unsupported("TCP_USER_TIMEOUT on a closed connection"),
                    }
                } else {
                    self.reconfigure(line, "TCP_USER_TIMEOUT", |c| c.user_timeout = timeout)?;
                }
            }
            // On a connection, the send buffer is the connection's own (`sk_sndbuf`).
            ("SO_SNDBUF", Some(b)) if b > 0 && connected => match self.live(&fd.sock) {
                Some(id) => self.stack.connection_mut(id).set_send_buffer(2 * b as u64),
                None => return unsupported("SO_SNDBUF on a closed connection"),
            },
            ("SO_SNDBUF" | "SO_RCVBUF", Some(b)) if b > 0 => {
                // Linux doubles the value for its bookkeeping (`sock_setsockopt`).
                let bytes = 2 * b as u64;
                let send = opt == "SO_SNDBUF";
                self.reconfigure(line, opt, |c| {
                    if send {
                        c.send_buffer = bytes;
                    } else {
                        c.recv_buffer = bytes;
                    }
                })?;
            }
            // Linux's `reno` module is synack's NewReno (the stack recovers as NewReno without
            // SACK); synack's settings are the stack's, so only before a connection exists.
            ("TCP_CONGESTION", _) => {
                let congestion = match a.get(3) {
                    Some(Expr::Str(s)) if s == "reno" => Congestion::NewReno,
                    Some(Expr::Str(s)) if s == "cubic" => Congestion::Cubic,
                    _ => return unsupported("TCP_CONGESTION other than reno or cubic"),
                };
                self.reconfigure(line, "TCP_CONGESTION", |c| c.congestion = congestion)?;
            }
            ("TCP_MAXSEG", _) if connected => return unsupported("TCP_MAXSEG on a connected socket"),
            _ => return unsupported(&format!("setsockopt {opt}")),
        }
        Ok(Ok(0))
    }

    pub(super) fn getsockopt(&mut self, line: u32, a: &[Expr]) -> Result<SysResult, Stop> {
        let (_, fd) = match self.fd(a.first()) {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        };
        let opt = name(a.get(2));
        let actual = match opt {
            "SO_ERROR" => match fd.sock {
                Sock::Conn { tag, .. } => self.info(tag).error.take().map_or(0, |e| e as i64),
                _ => 0,
            },
            "TCP_MAXSEG" => self.maxseg(&fd),
            "SO_SNDBUF" => match self.live(&fd.sock) {
                Some(id) => self.stack.connection(id).config().send_buffer as i64,
                None => self.stack.config().send_buffer as i64,
            },
            "SO_RCVBUF" => self.stack.config().recv_buffer as i64,
            _ => {
                return Err(Outcome::Unsupported(format!(
                    "line {line}: getsockopt {opt}"
                )))
            }
        };
        match value(a.get(3)) {
            Some(want) if want != actual => Err(self.fail(
                line,
                "runtime error in getsockopt call",
                format!("Bad getsockopt {opt} optval: expected: {want} actual: {actual}"),
            )),
            _ => Ok(Ok(0)),
        }
    }

    fn maxseg(&self, fd: &Fd) -> i64 {
        match (self.live(&fd.sock), fd.user_mss) {
            (Some(id), _) => self.stack.connection(id).mss().into(),
            (None, Some(m)) => m.into(),
            (None, None) => TCP_MSS_DEFAULT,
        }
    }

    fn fd_mut(&mut self, n: i64) -> &mut Fd {
        self.fds.get_mut(&n).expect("looked up")
    }

    fn note_once(&mut self, note: &str) {
        if !self.notes.iter().any(|n| n == note) {
            self.notes.push(note.to_string());
        }
    }
}
