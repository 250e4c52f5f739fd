//! System calls on the script's file descriptors, with Linux's return values and errnos.
//!
//! A call that would block on a blocking socket (`accept`, `connect`, `read`, a `write` that
//! fills the send buffer) is kept pending; it completes, and its result and time are checked,
//! when the stack lets it, while later script lines run (packetdrill runs it in a thread).

use synack_tcp::{Accept, SendError, State};

use super::{
    listener_rng, time_of, us, ConnInfo, Errno, Fd, Pending, Runner, Sock, Stop, SysResult, Wait,
    REMOTE_ADDR, REMOTE_PORT, SCRIPT_PORT,
};
use crate::report::Outcome;
use crate::script::{Expr, Syscall, SyscallResult};

/// What starting a call did.
enum Started {
    Done(SysResult),
    Blocked(Wait),
}

/// Linux's `O_RDWR` and `O_NONBLOCK`, as `F_GETFL` reports them.
const O_RDWR: i64 = 2;
const O_NONBLOCK: i64 = 0o4000;

fn int(e: Option<&Expr>) -> Option<i64> {
    match e? {
        Expr::Int(n) => Some(*n),
        Expr::List(l) if l.len() == 1 => int(l.first()),
        _ => None,
    }
}

fn ident(e: Option<&Expr>) -> Option<&str> {
    match e? {
        Expr::Ident(s) => Some(s),
        _ => None,
    }
}

/// Whether `e` names `flag` (alone or in an `A|B`).
fn has_flag(e: Option<&Expr>, flag: &str) -> bool {
    match e {
        Some(Expr::Ident(s)) => s == flag,
        Some(Expr::Or(alts)) => alts.iter().any(|a| has_flag(Some(a), flag)),
        _ => false,
    }
}

impl Runner {
    /// Runs a system call line; `end_us` is when it must return (its `...END` time, else its
    /// start), `blocking` whether the line gave an end time.
    pub(super) fn syscall(
        &mut self,
        line: u32,
        call: &Syscall,
        (end_us, blocking): (i64, bool),
        tolerance: i64,
    ) -> Result<(), Stop> {
        match self.start(line, call)? {
            Started::Done(result) => {
                if blocking {
                    self.check_return_time(line, &call.name, end_us, tolerance)?;
                }
                self.verify(line, &call.name, &call.result, result)
            }
            Started::Blocked(wait) => {
                if let Some(p) = &self.pending {
                    let what = format!(
                        "a blocking {} call from line {} is still in progress",
                        p.name, p.line
                    );
                    return Err(Outcome::Unsupported(format!("line {line}: {what}")));
                }
                self.pending = Some(Pending {
                    line,
                    name: call.name.clone(),
                    wait,
                    expected: call.result.clone(),
                    end_us,
                    tolerance,
                });
                self.check_pending()
            }
        }
    }

    /// Completes the pending call if it can return now; checks its time and result.
    pub(super) fn check_pending(&mut self) -> Result<(), Stop> {
        let Some(p) = self.pending.take() else {
            return Ok(());
        };
        let mut wait = p.wait.clone();
        let Some(result) = self.poll_wait(&mut wait) else {
            self.pending = Some(Pending { wait, ..p });
            return Ok(());
        };
        self.check_return_time(p.line, &p.name, p.end_us, p.tolerance)?;
        self.verify(p.line, &p.name, &p.expected, result)
    }

    /// A call must return within the tolerance of its expected time.
    fn check_return_time(
        &self,
        line: u32,
        name: &str,
        end_us: i64,
        tolerance: i64,
    ) -> Result<(), Stop> {
        let t = us(self.now);
        if (t - end_us).abs() <= tolerance {
            return Ok(());
        }
        let what = format!(
            "timing error: expected system call to return at {:.6} sec but happened at {:.6} sec; tolerance {:.6} sec",
            end_us as f64 / 1e6,
            t as f64 / 1e6,
            tolerance as f64 / 1e6
        );
        Err(self.fail(line, &format!("runtime error in {name} call"), what))
    }

    /// At the end of the script a blocked call must still return, in time.
    pub(super) fn finish_pending(&mut self) -> Result<(), Stop> {
        let Some(p) = &self.pending else {
            return Ok(());
        };
        let (line, name, limit) = (p.line, p.name.clone(), p.end_us + p.tolerance);
        while self.pending.is_some() && self.step(time_of(limit)) {
            self.check_pending()?;
        }
        if self.pending.is_some() {
            self.now = self.now.max(time_of(limit));
            self.check_pending()?;
        }
        match self.pending {
            Some(_) => Err(self.fail(
                line,
                &format!("runtime error in {name} call"),
                "the blocking call never returned".into(),
            )),
            None => Ok(()),
        }
    }

    fn verify(
        &self,
        line: u32,
        name: &str,
        expected: &SyscallResult,
        actual: SysResult,
    ) -> Result<(), Stop> {
        let Some(want) = expected.value else {
            return Ok(());
        };
        let same = match actual {
            Ok(v) => v == want && expected.errno.is_none(),
            Err(e) => want == -1 && expected.errno.as_deref().is_none_or(|x| x == e.name()),
        };
        if same {
            return Ok(());
        }
        let wanted = match &expected.errno {
            Some(e) => format!("{want} {e}"),
            None => want.to_string(),
        };
        let got = match actual {
            Ok(v) => v.to_string(),
            Err(e) => format!("-1 with errno {} ({})", e as i32, e.name()),
        };
        let what = format!("Expected result {wanted} but got {got}");
        Err(self.fail(line, &format!("runtime error in {name} call"), what))
    }

    pub(super) fn fd(&self, e: Option<&Expr>) -> Result<(i64, Fd), Errno> {
        let n = int(e).ok_or(Errno::EBADF)?;
        self.fds.get(&n).map(|f| (n, f.clone())).ok_or(Errno::EBADF)
    }

    fn start(&mut self, line: u32, call: &Syscall) -> Result<Started, Stop> {
        let a = &call.args;
        let done = |r: SysResult| Ok(Started::Done(r));
        match call.name.as_str() {
            "socket" => {
                let fd = self.fd_number(&call.result);
                let nonblocking = has_flag(a.get(1), "SOCK_NONBLOCK");
                self.fds.insert(fd, Fd::new(Sock::Fresh, nonblocking));
                done(Ok(fd))
            }
            "bind" => done(self.bind(a)),
            "listen" => done(self.listen(a)),
            "accept" => {
                self.accept_as = call.result.value.filter(|&v| v >= 0);
                Ok(self.accept(a))
            }
            "connect" => Ok(self.connect(a)),
            "write" | "send" | "sendto" => Ok(self.write(a)),
            "read" | "recv" | "recvfrom" => Ok(self.read(a)),
            "shutdown" => done(self.shutdown(a)),
            "close" => done(self.close(a)),
            "fcntl" => done(self.fcntl(a)),
            "setsockopt" => self.setsockopt(line, a).map(Started::Done),
            "getsockopt" => self.getsockopt(line, a).map(Started::Done),
            other => Err(Outcome::Unsupported(format!(
                "line {line}: system call {other}"
            ))),
        }
    }

    fn bind(&mut self, a: &[Expr]) -> SysResult {
        let (n, _) = self.fd(a.first())?;
        let fd = self.fds.get_mut(&n).expect("found");
        fd.bound = Some(SCRIPT_PORT);
        Ok(0)
    }

    fn listen(&mut self, a: &[Expr]) -> SysResult {
        let (n, fd) = self.fd(a.first())?;
        if !matches!(fd.sock, Sock::Fresh) {
            return Err(Errno::EINVAL);
        }
        let port = fd.bound.unwrap_or(SCRIPT_PORT);
        let id = self
            .stack
            .listen(port, &mut listener_rng())
            .map_err(|_| Errno::EADDRINUSE)?;
        // The backlog argument, capped at `somaxconn` by the listener as `__sys_listen_socket`
        // caps it (a negative one, read unsigned, is the cap). `SOMAXCONN` is Linux's
        // include/linux/socket.h value since 5.4.
        let backlog = match (int(a.get(1)), ident(a.get(1))) {
            (Some(n), _) => Some(u32::try_from(n).unwrap_or(u32::MAX)),
            (None, Some("SOMAXCONN")) => Some(4096),
            _ => None,
        };
        if let Some(b) = backlog {
            self.stack.set_backlog(id, b);
        }
        self.fds.get_mut(&n).expect("found").sock = Sock::Listener { id, port, backlog };
        self.ports = (port, REMOTE_PORT);
        Ok(0)
    }

    fn accept(&mut self, a: &[Expr]) -> Started {
        let (n, fd) = match self.fd(a.first()) {
            Ok(x) => x,
            Err(e) => return Started::Done(Err(e)),
        };
        if !matches!(fd.sock, Sock::Listener { .. }) {
            return Started::Done(Err(Errno::EINVAL));
        }
        let mut wait = Wait::Accept { fd: n };
        match self.poll_wait(&mut wait) {
            Some(r) => Started::Done(r),
            None if fd.nonblocking => Started::Done(Err(Errno::EAGAIN)),
            None => Started::Blocked(wait),
        }
    }

    fn connect(&mut self, a: &[Expr]) -> Started {
        let (n, fd) = match self.fd(a.first()) {
            Ok(x) => x,
            Err(e) => return Started::Done(Err(e)),
        };
        match fd.sock {
            Sock::Fresh => {}
            Sock::Listener { .. } => return Started::Done(Err(Errno::EISCONN)),
            Sock::Conn { tag, reported, .. } => {
                let info = self.info(tag).clone();
                let r = match (info.connected, reported) {
                    (true, false) => Ok(0),
                    (true, true) => Err(Errno::EISCONN),
                    _ => match info.error {
                        Some(e) => Err(e),
                        None => Err(Errno::EALREADY),
                    },
                };
                self.set_reported(n);
                return Started::Done(r);
            }
        }
        let conn = match self.stack.connect(self.now, REMOTE_ADDR, SCRIPT_PORT, 0) {
            Ok(id) => id,
            Err(_) => return Started::Done(Err(Errno::EADDRNOTAVAIL)),
        };
        let tag = self.new_conn(ConnInfo::new(Some(conn), State::Closed));
        self.stack.set_tag(conn, tag);
        self.ports = (self.stack.connection(conn).local_port(), SCRIPT_PORT);
        self.fds.get_mut(&n).expect("found").sock = Sock::Conn {
            tag,
            shut_rd: false,
            reported: false,
        };
        self.pump(conn);
        if fd.nonblocking {
            return Started::Done(Err(Errno::EINPROGRESS));
        }
        self.set_reported(n);
        Started::Blocked(Wait::Connect { tag })
    }

    fn set_reported(&mut self, n: i64) {
        if let Some(Fd {
            sock: Sock::Conn { reported, .. },
            ..
        }) = self.fds.get_mut(&n)
        {
            *reported = true;
        }
    }

    /// The connection of a descriptor, or why there is none.
    fn conn_fd(&self, e: Option<&Expr>) -> Result<(i64, Fd, u32), Errno> {
        let (n, fd) = self.fd(e)?;
        match fd.sock {
            Sock::Conn { tag, .. } => Ok((n, fd, tag)),
            _ => Err(Errno::ENOTCONN),
        }
    }

    fn write(&mut self, a: &[Expr]) -> Started {
        let (fd, tag) = match self.conn_fd(a.first()) {
            Ok((_, fd, tag)) => (fd, tag),
            Err(Errno::ENOTCONN) => return Started::Done(Err(Errno::EPIPE)),
            Err(e) => return Started::Done(Err(e)),
        };
        let total = int(a.get(2)).unwrap_or(0).max(0) as u64;
        let mut wait = Wait::Write {
            tag,
            left: total,
            total,
        };
        match self.poll_wait(&mut wait) {
            Some(r) => Started::Done(r),
            None if fd.nonblocking => match wait {
                Wait::Write { left, total, .. } if left < total => {
                    Started::Done(Ok((total - left) as i64))
                }
                _ => Started::Done(Err(Errno::EAGAIN)),
            },
            None => Started::Blocked(wait),
        }
    }

    fn read(&mut self, a: &[Expr]) -> Started {
        let (n, fd, tag) = match self.conn_fd(a.first()) {
            Ok(x) => x,
            Err(e) => return Started::Done(Err(e)),
        };
        let max = int(a.get(2)).unwrap_or(0).max(0) as u64;
        let mut wait = Wait::Read { tag, max, fd: n };
        match self.poll_wait(&mut wait) {
            Some(r) => Started::Done(r),
            None if fd.nonblocking => Started::Done(Err(Errno::EAGAIN)),
            None => Started::Blocked(wait),
        }
    }

    /// Whether a wait is over, and the call's result; a write moves on as it can.
    fn poll_wait(&mut self, wait: &mut Wait) -> Option<SysResult> {
        match wait {
            Wait::Accept { fd } => self.try_accept(*fd),
            Wait::Connect { tag } => {
                let info = self.info(*tag).clone();
                match (info.connected, info.error) {
                    (true, _) => Some(Ok(0)),
                    (false, Some(e)) => {
                        self.info(*tag).error = None;
                        Some(Err(e))
                    }
                    (false, None) if info.id.is_none() => Some(Err(Errno::ECONNRESET)),
                    _ => None,
                }
            }
            Wait::Read { tag, max, fd } => self.try_read(*tag, *max, *fd),
            Wait::Write { tag, left, total } => self.try_write(*tag, left, *total),
        }
    }

    fn try_accept(&mut self, fd: i64) -> Option<SysResult> {
        let Some(Fd {
            sock: Sock::Listener { id, .. },
            ..
        }) = self.fds.get(&fd)
        else {
            return Some(Err(Errno::EBADF));
        };
        let info = match self.stack.accept(*id) {
            Accept::Empty => return None,
            Accept::Conn(conn) => {
                return Some(Ok(
                    self.new_fd_for(self.stack.tag(synack_tcp::SocketId::Conn(conn)))
                ))
            }
            Accept::Ended => {
                let mut info = ConnInfo::new(None, State::Closed);
                info.error = Some(Errno::ECONNRESET);
                info
            }
        };
        let tag = self.new_conn(info);
        Some(Ok(self.new_fd_for(tag)))
    }

    /// The descriptor a new socket gets: the number the script expects, as packetdrill maps
    /// script descriptors onto live ones, else the next free one.
    fn fd_number(&mut self, expected: &SyscallResult) -> i64 {
        match expected.value {
            Some(n) if n >= 0 && !self.fds.contains_key(&n) => n,
            _ => {
                while self.fds.contains_key(&self.next_fd) {
                    self.next_fd += 1;
                }
                self.next_fd
            }
        }
    }

    fn new_fd_for(&mut self, tag: u32) -> i64 {
        let expected = SyscallResult {
            value: self.accept_as.take(),
            errno: None,
        };
        let n = self.fd_number(&expected);
        let sock = Sock::Conn {
            tag,
            shut_rd: false,
            reported: true,
        };
        self.fds.insert(n, Fd::new(sock, false));
        n
    }

    /// Linux `tcp_recvmsg`: data first, then a pending error, then end of stream.
    fn try_read(&mut self, tag: u32, max: u64, fd: i64) -> Option<SysResult> {
        let shut_rd = matches!(
            self.fds.get(&fd),
            Some(Fd {
                sock: Sock::Conn { shut_rd: true, .. },
                ..
            })
        );
        let info = self.info(tag);
        if info.readable > 0 && max > 0 {
            let n = info.readable.min(max);
            info.readable -= n;
            return Some(Ok(n as i64));
        }
        if let Some(e) = info.error.take() {
            return Some(Err(e));
        }
        if max == 0 || info.fin || shut_rd || info.id.is_none() {
            return Some(Ok(0));
        }
        None
    }

    /// Linux `tcp_sendmsg`: as much as the send buffer takes; a pending error, else EPIPE,
    /// once the connection cannot send.
    fn try_write(&mut self, tag: u32, left: &mut u64, total: u64) -> Option<SysResult> {
        let info = self.info(tag).clone();
        let Some(id) = info.id else {
            let e = self.info(tag).error.take().unwrap_or(Errno::EPIPE);
            return Some(if *left < total {
                Ok((total - *left) as i64)
            } else {
                Err(e)
            });
        };
        if info.error.is_some() && *left == total {
            return Some(Err(self.info(tag).error.take().expect("checked")));
        }
        let now = self.now;
        match self.stack.connection_mut(id).send(now, *left) {
            Ok(n) => *left -= n,
            Err(SendError::Closing) => return Some(Err(Errno::EPIPE)),
            // Not yet ESTABLISHED: wait for it; after it, no more sending.
            Err(SendError::InvalidState(State::SynSent | State::SynReceived)) => {}
            Err(SendError::InvalidState(_)) => return Some(Err(Errno::EPIPE)),
        }
        self.pump(id);
        (*left == 0).then_some(Ok(total as i64))
    }

    fn shutdown(&mut self, a: &[Expr]) -> SysResult {
        let (n, _, tag) = self.conn_fd(a.first())?;
        let how = ident(a.get(1)).ok_or(Errno::EINVAL)?;
        if matches!(how, "SHUT_RD" | "SHUT_RDWR") {
            if let Some(Fd {
                sock: Sock::Conn { shut_rd, .. },
                ..
            }) = self.fds.get_mut(&n)
            {
                *shut_rd = true;
            }
            if let Some(id) = self.info(tag).id {
                self.stack.connection_mut(id).shutdown_read();
            }
        }
        if matches!(how, "SHUT_WR" | "SHUT_RDWR") {
            let Some(id) = self.info(tag).id else {
                return Err(Errno::ENOTCONN);
            };
            let now = self.now;
            let _ = self.stack.connection_mut(id).close(now);
            self.pump(id);
        }
        Ok(0)
    }

    /// Linux `tcp_close`: a RST instead of a FIN when unread data is thrown away (RFC 2525
    /// §2.17) or `SO_LINGER` is zero; a listener resets the connections it never handed out
    /// (`inet_csk_listen_stop`).
    fn close(&mut self, a: &[Expr]) -> SysResult {
        let (n, fd) = self.fd(a.first())?;
        self.fds.remove(&n);
        match fd.sock {
            Sock::Fresh => {}
            Sock::Listener { id, .. } => {
                self.closed_listeners.push(id);
                loop {
                    match self.stack.accept(id) {
                        Accept::Empty => break,
                        Accept::Ended => {}
                        Accept::Conn(c) => {
                            let now = self.now;
                            self.stack.connection_mut(c).abort(now);
                            self.pump(c);
                        }
                    }
                }
            }
            Sock::Conn { tag, .. } => {
                let info = self.info(tag).clone();
                if let Some(id) = info.id {
                    let now = self.now;
                    let conn = self.stack.connection_mut(id);
                    if fd.linger_zero || info.readable > 0 {
                        conn.abort(now);
                    } else {
                        // Both directions: data arriving after this resets the connection.
                        conn.shutdown_read();
                        let _ = conn.close(now);
                    }
                    self.pump(id);
                }
            }
        }
        Ok(0)
    }

    fn fcntl(&mut self, a: &[Expr]) -> SysResult {
        let (n, fd) = self.fd(a.first())?;
        match ident(a.get(1)) {
            Some("F_SETFL") => {
                let nb = has_flag(a.get(2), "O_NONBLOCK");
                self.fds.get_mut(&n).expect("found").nonblocking = nb;
                Ok(0)
            }
            Some("F_GETFL") => Ok(O_RDWR | if fd.nonblocking { O_NONBLOCK } else { 0 }),
            _ => Err(Errno::EINVAL),
        }
    }
}
