//! A listening socket's admission control, sans-IO: the SYN queue, the accept queue and SYN
//! cookies (`syn_cookies`, 0, 1 or 2), sized as Linux sizes them (`listen_queues =
//! "linux"`: one limit, min(`backlog`, `somaxconn`), for both, and `max_syn_backlog`'s
//! reserve without cookies) or as two fixed queues (`"separate"`: `backlog` and
//! `accept_queue`).
//!
//! The listener holds no connections, only counts: the caller keeps the connections it opens
//! and reports their progress ([`Listener::half_open_ended`], [`Listener::accepted`]). Per
//! SYN it answers [`SynDecision::Open`] (call [`Connection::accept`]), [`SynDecision::Cookie`]
//! (send the SYN-ACK given, keep nothing) or [`SynDecision::Drop`]; an ACK that matches no
//! connection goes to [`Listener::on_ack`], which rebuilds the connection from a valid cookie.
//!
//! Simplified, and what it costs: the cookie's keyed hash is the same non-cryptographic mixer
//! as the ISNs' (see [`crate::isn`]); cookies carry the MSS only (no window scale, SACK or
//! timestamps, none of which are modelled), as Linux's do without timestamps. When the accept
//! queue is full the caller must hold back a final ACK (see
//! [`Listener::accept_queue_full`]): Linux ignores it and lets the SYN-ACK be resent, or,
//! with `abort_on_overflow`, answers it with a RST. A listener does not remember when its
//! queue last overflowed: Linux checks a cookie ACK only within two minutes of sending a
//! cookie (`tcp_synq_no_recent_overflow`), which changes nothing but the answer to a forged
//! ACK (a RST either way here, counted as a failed cookie).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, Time};

use crate::config::{Config, ListenQueues, SynCookies};
use crate::connection::{syn_window, ts_clock, wscale_for, Connection, MAX_WSCALE};
use crate::isn::FourTuple;
use crate::segment::{Ecn, Flags, Options, Segment, Timestamp};
use crate::seq::Seq;

/// Linux `msstab` (net/ipv4/syncookies.c): the MSS values a cookie can encode, by index.
const MSS_TABLE: [u16; 4] = [536, 1300, 1440, 1460];

/// Linux `TCP_SYNCOOKIE_PERIOD`: the cookie clock ticks once a minute…
const COOKIE_PERIOD: Duration = Duration::from_secs(60);

/// …and a cookie is good for `MAX_SYNCOOKIE_AGE` = 2 ticks.
const COOKIE_MAX_AGE: u32 = 2;

/// Linux `COOKIEBITS`: the low 24 bits carry the hash and the MSS index, the top 8 the tick.
const COOKIE_BITS: u32 = 24;
const COOKIE_MASK: u32 = (1 << COOKIE_BITS) - 1;

/// Linux `TSBITS`: the low bits of a cookie SYN-ACK's TSval that carry the peer's options.
const COOKIE_TS_MASK: u32 = (1 << 6) - 1;
/// Linux `TS_OPT_WSCALE_MASK`: the peer's window scale, all ones for none.
const COOKIE_TS_WSCALE: u32 = 0xf;
/// Linux `TS_OPT_SACK`.
const COOKIE_TS_SACK: u32 = 1 << 4;
/// Linux `TS_OPT_ECN`: the SYN asked for ECN and the listener granted it.
const COOKIE_TS_ECN: u32 = 1 << 5;

/// What to do with a SYN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynDecision {
    /// Open a connection with [`Connection::accept`]; the listener counts it as half-open
    /// until [`Listener::half_open_ended`].
    Open,
    /// The SYN queue is full: send this SYN-ACK, whose sequence number is a cookie, and keep
    /// no state (RFC 4987 §3.6).
    Cookie(Segment),
    /// Drop the SYN, for this reason.
    Drop(SynDrop),
}

/// Why a listener dropped a SYN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynDrop {
    /// The SYN queue is full and `syn_cookies` is 0 (Linux `TCPReqQFullDrop`).
    SynQueueFull,
    /// The accept queue is full (Linux `ListenOverflows`, `tcp_conn_request`).
    AcceptQueueFull,
    /// Without cookies, the last quarter of `max_syn_backlog` is kept for peers proven alive
    /// and this one is not (`tcp_conn_request`, `tcp_peer_is_proven`).
    PeerNotProven,
}

/// What the listener is told about a SYN besides the segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SynContext {
    /// The SYN reopens a 4-tuple held in TIME-WAIT (Linux's `tcp_tw_isn`): "TW buckets are
    /// converted to open requests without limitations, they conserve resources and peer is
    /// evidently real one" (`tcp_conn_request`) — with Linux's queues only a full accept
    /// queue drops it.
    pub reopens_time_wait: bool,
    /// An earlier connection with this peer measured a round trip and closed (Linux's
    /// `tcp_peer_is_proven`, from the TCP metrics cache).
    pub peer_proven: bool,
}

/// What a listener makes of an ACK that reaches no connection ([`Listener::on_ack`]).
// Returned by value and moved straight into the stack, as an `Option<Connection>` would be:
// boxing it would allocate once per connection a cookie opens.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum CookieAck {
    /// A valid SYN cookie: the connection it proves, ESTABLISHED.
    Open(Connection),
    /// A valid SYN cookie while the accept queue is full: dropped, unanswered.
    AcceptQueueFull,
    /// No cookie (or cookies off): LISTEN answers it with a RST.
    NotACookie,
}

/// Counters of one listener (DESIGN.md's listener metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListenerStats {
    pub syn_received: u64,
    pub syn_dropped: u64,
    pub syncookies_sent: u64,
    pub syncookies_accepted: u64,
    /// ACKs that matched no connection and carried no valid cookie.
    pub syncookies_failed: u64,
    /// SYNs dropped and final ACKs ignored or reset because the accept queue was full
    /// (Linux `ListenOverflows`).
    pub listen_overflows: u64,
}

/// One listening port.
#[derive(Clone, Debug)]
pub struct Listener {
    config: Config,
    port: u16,
    secret: (u64, u64),
    half_open: u32,
    /// Half-open connections whose SYN-ACK has not timed out yet (Linux's `qlen_young`).
    young: u32,
    unaccepted: u32,
    stats: ListenerStats,
}

impl Listener {
    /// A listener on `port`; the cookie secret is drawn from `rng` (the host's stream).
    pub fn new(config: &Config, port: u16, rng: &mut ChaCha8Rng) -> Listener {
        Listener {
            config: config.clone(),
            port,
            secret: (rng.next_u64(), rng.next_u64()),
            half_open: 0,
            young: 0,
            unaccepted: 0,
            stats: ListenerStats::default(),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn stats(&self) -> ListenerStats {
        self.stats
    }
    /// Connections in SYN-RECEIVED opened through [`SynDecision::Open`].
    pub fn half_open(&self) -> u32 {
        self.half_open
    }
    /// Established connections the application has not accepted yet.
    pub fn unaccepted(&self) -> u32 {
        self.unaccepted
    }

    /// Sets `backlog` as `listen(fd, backlog)` does (a socket's own, not the stack's
    /// setting): the limit is then min(it, `somaxconn`) as always ([`Self::max_backlog`]).
    pub fn set_backlog(&mut self, backlog: u32) {
        self.config.backlog = backlog;
    }

    /// The limit `listen()` set: min(`backlog`, `somaxconn`) with `listen_queues = "linux"`
    /// (`__sys_listen_socket` caps the backlog at `net.core.somaxconn`; `inet_listen` makes
    /// it `sk_max_ack_backlog`), else `backlog`.
    pub fn max_backlog(&self) -> u32 {
        match self.config.listen_queues {
            ListenQueues::Linux => self.config.backlog.min(self.config.somaxconn),
            ListenQueues::Separate => self.config.backlog,
        }
    }

    /// No room for one more half-open connection. Linux `inet_csk_reqsk_queue_is_full`: the
    /// queue holds *more* than the limit, so that a backlog of 0 still admits one connection,
    /// as the accept queue does (since "tcp/dccp: allow a connection when
    /// sk_max_ack_backlog is zero", January 2025; kernels before it tested `>=`).
    pub fn syn_queue_full(&self) -> bool {
        match self.config.listen_queues {
            ListenQueues::Linux => self.half_open > self.max_backlog(),
            ListenQueues::Separate => self.half_open >= self.config.backlog,
        }
    }

    /// No room for one more established connection: Linux `sk_acceptq_is_full`, more than
    /// the limit waiting (or, `"separate"`, `accept_queue` waiting). While it holds, the
    /// caller drops final ACKs meant for half-open connections (Linux `tcp_check_req` with
    /// `tcp_abort_on_overflow = 0`), or resets them (`abort_on_overflow`).
    pub fn accept_queue_full(&self) -> bool {
        match self.config.listen_queues {
            ListenQueues::Linux => self.unaccepted > self.max_backlog(),
            ListenQueues::Separate => self.unaccepted >= self.config.accept_queue,
        }
    }

    /// A SYN for this port arrived from `tuple` (addresses as seen by the listener: local is
    /// the listener's). Linux `tcp_conn_request`, in its order: a SYN that reopens a
    /// TIME-WAIT 4-tuple skips the SYN-queue checks (with `listen_queues = "linux"`; the
    /// `separate` queues treat it as any SYN); otherwise with `syn_cookies = 2`, or
    /// when the SYN queue is full, it gets a cookie if cookies are on, else it is dropped
    /// (`tcp_syn_flood_action`). Then a full accept queue drops it, cookie or not. Without
    /// cookies (0) and with `listen_queues = "linux"`, a peer not proven alive is dropped
    /// while fewer than `max_syn_backlog / 4` entries are free.
    pub fn on_syn(
        &mut self,
        now: Time,
        tuple: FourTuple,
        syn: &Segment,
        context: SynContext,
    ) -> SynDecision {
        self.stats.syn_received += 1;
        let cookies = self.config.syn_cookies;
        let linux = self.config.listen_queues == ListenQueues::Linux;
        let reopens = linux && context.reopens_time_wait;
        let mut want_cookie = false;
        if !reopens && (cookies == SynCookies::Always || self.syn_queue_full()) {
            if !cookies.enabled() {
                return self.drop_syn(SynDrop::SynQueueFull);
            }
            want_cookie = true;
        }
        if self.accept_queue_full() {
            self.stats.listen_overflows += 1;
            return self.drop_syn(SynDrop::AcceptQueueFull);
        }
        if want_cookie {
            self.stats.syncookies_sent += 1;
            return SynDecision::Cookie(self.cookie_synack(now, tuple, syn));
        }
        // "Without syncookies last quarter of backlog is filled with destinations, proven to
        // be alive" (`tcp_conn_request`).
        let max = self.config.max_syn_backlog;
        let reserved = linux
            && !reopens
            && cookies == SynCookies::Off
            && i64::from(max) - i64::from(self.half_open) < i64::from(max >> 2)
            && !context.peer_proven;
        if reserved {
            return self.drop_syn(SynDrop::PeerNotProven);
        }
        self.half_open += 1;
        self.young += 1;
        SynDecision::Open
    }

    fn drop_syn(&mut self, why: SynDrop) -> SynDecision {
        self.stats.syn_dropped += 1;
        SynDecision::Drop(why)
    }

    /// A final ACK found the accept queue full (Linux `tcp_v4_syn_recv_sock`, counted as a
    /// listen overflow); the caller ignores it or, with `abort_on_overflow`, resets the
    /// half-open connection.
    pub fn ack_overflowed(&mut self) {
        self.stats.listen_overflows += 1;
    }

    /// A connection opened by [`SynDecision::Open`] left SYN-RECEIVED: into the accept queue
    /// if `established`, else gone (reset or timed out); `young` if its SYN-ACK never timed
    /// out.
    pub fn half_open_ended(&mut self, established: bool, young: bool) {
        self.half_open = self.half_open.saturating_sub(1);
        if young {
            self.young = self.young.saturating_sub(1);
        }
        if established {
            self.unaccepted += 1;
        }
    }

    /// A half-open connection's SYN-ACK timed out for the first time: it is no longer young.
    pub fn synack_timed_out(&mut self) {
        self.young = self.young.saturating_sub(1);
    }

    /// The SYN-ACK retransmissions a half-open connection may make, with `syn_queue_pruning`
    /// as Linux's `reqsk_timer_handler` decides them: while the queue is more than half full
    /// (2·qlen > max(8, [`max_backlog`](Self::max_backlog))), one fewer than
    /// `synack_retries` for each halving of the young share, down to 2 ("we reserve half of
    /// room for young embrions; and abort old ones without pity").
    pub fn synack_retry_limit(&self) -> u32 {
        let mut limit = self.config.synack_retries;
        let qlen = self.half_open;
        if self.config.syn_queue_pruning && 2 * qlen > self.max_backlog().max(8) {
            let mut young = u64::from(self.young) * 2;
            while limit > 2 {
                if u64::from(qlen) < young {
                    break;
                }
                limit -= 1;
                young <<= 1;
            }
        }
        limit
    }

    /// The application took one established connection from the accept queue.
    pub fn accepted(&mut self) {
        self.unaccepted = self.unaccepted.saturating_sub(1);
    }

    /// An ACK for this port that matches no connection: if it returns a valid cookie, the
    /// connection it completes, ESTABLISHED and in the accept queue (Linux
    /// `cookie_v4_check`). `None` means the caller answers as to no connection (a RST).
    pub fn on_ack(&mut self, now: Time, tuple: FourTuple, ack: &Segment) -> CookieAck {
        let cookie_ok = ack.flags.ack() && !ack.flags.syn() && !ack.flags.rst();
        if !cookie_ok || !self.config.syn_cookies.enabled() {
            return CookieAck::NotACookie;
        }
        let iss = ack.ack - 1;
        let Some(mss) = self.check_cookie(now, tuple, ack.seq - 1, iss) else {
            self.stats.syncookies_failed += 1;
            return CookieAck::NotACookie;
        };
        if self.accept_queue_full() {
            // A valid cookie, but no room: Linux's `tcp_get_cookie_sock` gets no child from
            // `tcp_v4_syn_recv_sock` (`sk_acceptq_is_full`, counted in ListenOverflows), and
            // `tcp_v4_do_rcv` discards the segment without an answer; the peer's next
            // segment with this ACK tries again.
            self.stats.listen_overflows += 1;
            return CookieAck::AcceptQueueFull;
        }
        self.stats.syncookies_accepted += 1;
        self.unaccepted += 1;
        let options = self.cookie_options(ack);
        // Linux `cookie_timestamp_decode` and `cookie_ecn_ok`: ECN survives a cookie only in
        // its timestamp.
        let ecn = (options.timestamp).is_some_and(|ts| ts.ecr & COOKIE_TS_ECN != 0);
        CookieAck::Open(Connection::from_cookie(
            now,
            &self.config,
            self.port,
            ack,
            iss,
            (mss, options, ecn),
        ))
    }

    /// The peer's options a cookie's final ACK brings back (Linux `cookie_timestamp_decode`):
    /// only with timestamps, whose echoed value carries the peer's window scale (4 bits;
    /// 15 for none) and SACK-permitted (bit 4). Without timestamps a cookie keeps none.
    fn cookie_options(&self, ack: &Segment) -> Options {
        let Some(ts) = ack.opts.timestamp.filter(|_| self.config.timestamps) else {
            return Options::default();
        };
        let wscale = (ts.ecr & COOKIE_TS_WSCALE) as u8;
        Options {
            wscale: (wscale != COOKIE_TS_WSCALE as u8 && self.config.window_scaling)
                .then_some(wscale),
            sack_permitted: ts.ecr & COOKIE_TS_SACK != 0 && self.config.sack,
            timestamp: Some(ts),
            ..Options::default()
        }
    }

    /// The SYN-ACK of a cookie: <SEQ=cookie><ACK=SEG.SEQ+1><CTL=SYN,ACK> with our MSS and,
    /// if the SYN offered timestamps, the options both ends offer, encoded in the low bits
    /// of our TSval (Linux `cookie_init_timestamp`; `tcp_conn_request` clears the options of
    /// a cookie's SYN-ACK without timestamps).
    fn cookie_synack(&self, now: Time, tuple: FourTuple, syn: &Segment) -> Segment {
        let peer_mss = syn.opts.mss.unwrap_or(MSS_TABLE[0]);
        // The largest table entry the peer can take (Linux `__cookie_v4_init_sequence`).
        let index = MSS_TABLE.iter().rposition(|&m| m <= peer_mss).unwrap_or(0) as u32;
        let tick = self.tick(now);
        let cookie = self
            .hash(tuple, 0)
            .wrapping_add(syn.seq.0)
            .wrapping_add(tick << COOKIE_BITS)
            .wrapping_add(self.hash(tuple, tick).wrapping_add(index) & COOKIE_MASK);
        let mss = self.config.mss.min(u32::from(u16::MAX)) as u16;
        let mut opts = Options {
            mss: Some(mss),
            ..Options::default()
        };
        // Linux `tcp_ecn_create_request`, then `cookie_init_timestamp`: without timestamps
        // the cookie cannot keep ECN, and the SYN-ACK does not offer it.
        let mut ecn = self.config.ecn.accepts()
            && syn.flags.contains(Flags::ECE | Flags::CWR)
            && syn.ecn == Ecn::NotEct;
        if let Some(ts) = syn.opts.timestamp.filter(|_| self.config.timestamps) {
            let wscale = syn.opts.wscale.filter(|_| self.config.window_scaling);
            let sack = syn.opts.sack_permitted && self.config.sack;
            let bits = u32::from(wscale.map_or(COOKIE_TS_WSCALE as u8, |w| w.min(MAX_WSCALE)))
                | if sack { COOKIE_TS_SACK } else { 0 }
                | if ecn { COOKIE_TS_ECN } else { 0 };
            // The connection's clock (milliseconds, as `Connection` keeps it), its low bits
            // replaced, never ahead of the clock.
            let clock = ts_clock(now);
            let mut val = (clock & !COOKIE_TS_MASK) | bits;
            if (val.wrapping_sub(clock) as i32) > 0 {
                val = val.wrapping_sub(COOKIE_TS_MASK + 1);
            }
            opts.timestamp = Some(Timestamp { val, ecr: ts.val });
            opts.sack_permitted = sack;
            opts.wscale = wscale.map(|_| wscale_for(self.config.recv_buffer));
        } else {
            ecn = false;
        }
        let flags = Flags::SYN | Flags::ACK;
        Segment {
            src_port: self.port,
            dst_port: syn.src_port,
            seq: Seq(cookie),
            ack: syn.seq + 1,
            flags: if ecn { flags | Flags::ECE } else { flags },
            window: syn_window(self.config.recv_buffer, self.config.mss),
            len: 0,
            opts,
            ecn: Ecn::NotEct,
        }
    }

    /// The MSS a cookie `iss` encodes, if it was made for `tuple` and the SYN `syn_seq`
    /// within the last two ticks (Linux `__cookie_v4_check`).
    fn check_cookie(&self, now: Time, tuple: FourTuple, syn_seq: Seq, iss: Seq) -> Option<u32> {
        let cookie = iss
            .0
            .wrapping_sub(self.hash(tuple, 0))
            .wrapping_sub(syn_seq.0);
        let tick = self.tick(now);
        let age = tick.wrapping_sub(cookie >> COOKIE_BITS) & (u32::MAX >> COOKIE_BITS);
        if age >= COOKIE_MAX_AGE {
            return None;
        }
        let made_at = tick.wrapping_sub(age);
        let index = cookie.wrapping_sub(self.hash(tuple, made_at)) & COOKIE_MASK;
        MSS_TABLE.get(index as usize).map(|&m| u32::from(m))
    }

    /// The cookie clock: minutes since the start of the run.
    fn tick(&self, now: Time) -> u32 {
        (now.as_nanos() / COOKIE_PERIOD.as_nanos()) as u32
    }

    /// A keyed hash of the 4-tuple and `salt` (Linux `cookie_hash`).
    fn hash(&self, t: FourTuple, salt: u32) -> u32 {
        let ports = (u64::from(t.local_port) << 16) | u64::from(t.remote_port);
        let addrs = (u64::from(t.local_addr) << 32) | u64::from(t.remote_addr);
        let h = crate::isn::mix(addrs ^ self.secret.0);
        (crate::isn::mix(h ^ ports ^ (u64::from(salt) << 32) ^ self.secret.1) >> 32) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn tuple() -> FourTuple {
        FourTuple {
            local_addr: 2,
            local_port: 80,
            remote_addr: 1,
            remote_port: 40000,
        }
    }

    fn syn(seq: u32, mss: u16) -> Segment {
        Segment {
            src_port: 40000,
            dst_port: 80,
            seq: Seq(seq),
            ack: Seq(0),
            flags: Flags::SYN,
            window: 65535,
            len: 0,
            opts: Options {
                mss: Some(mss),
                ..Default::default()
            },
            ecn: Default::default(),
        }
    }

    /// Two fixed queues: a SYN queue of `backlog`, an accept queue of 2.
    fn listener(backlog: u32, cookies: bool) -> Listener {
        let config = Config {
            backlog,
            accept_queue: 2,
            listen_queues: ListenQueues::Separate,
            syn_cookies: if cookies {
                SynCookies::Overflow
            } else {
                SynCookies::Off
            },
            ..Config::linux()
        };
        Listener::new(&config, 80, &mut ChaCha8Rng::seed_from_u64(3))
    }

    /// Linux's queues, with `listen(fd, backlog)` and the given sysctls.
    fn linux(backlog: u32, somaxconn: u32, max_syn_backlog: u32, cookies: SynCookies) -> Listener {
        let config = Config {
            backlog,
            somaxconn,
            max_syn_backlog,
            syn_cookies: cookies,
            ..Config::linux()
        };
        Listener::new(&config, 80, &mut ChaCha8Rng::seed_from_u64(3))
    }

    const FRESH: SynContext = SynContext {
        reopens_time_wait: false,
        peer_proven: false,
    };

    #[test]
    fn queues_fill_then_cookies_or_drops() {
        let mut l = listener(2, false);
        let t = Time::ZERO;
        assert_eq!(
            l.on_syn(t, tuple(), &syn(1, 1460), FRESH),
            SynDecision::Open
        );
        assert_eq!(
            l.on_syn(t, tuple(), &syn(2, 1460), FRESH),
            SynDecision::Open
        );
        assert_eq!(
            l.on_syn(t, tuple(), &syn(3, 1460), FRESH),
            SynDecision::Drop(SynDrop::SynQueueFull)
        );
        l.half_open_ended(true, true);
        l.half_open_ended(true, true);
        assert!(l.accept_queue_full());
        assert_eq!(
            l.on_syn(t, tuple(), &syn(4, 1460), FRESH),
            SynDecision::Drop(SynDrop::AcceptQueueFull)
        );
        l.accepted();
        assert_eq!(
            l.on_syn(t, tuple(), &syn(5, 1460), FRESH),
            SynDecision::Open
        );
        assert_eq!(l.stats().syn_dropped, 2);
        assert_eq!(l.stats().listen_overflows, 1);

        let mut l = listener(0, true);
        assert!(matches!(
            l.on_syn(t, tuple(), &syn(1, 1460), FRESH),
            SynDecision::Cookie(_)
        ));
        assert_eq!(l.stats().syncookies_sent, 1);
    }

    /// `listen(fd, 8)` under `somaxconn = 4`: the limit is 4, and each queue is full only
    /// once it holds 5 (`inet_csk_reqsk_queue_is_full`, `sk_acceptq_is_full` use `>`).
    #[test]
    fn linux_caps_the_backlog_at_somaxconn_and_admits_one_more() {
        let t = Time::ZERO;
        let mut l = linux(8, 4, 4096, SynCookies::Off);
        assert_eq!(l.max_backlog(), 4);
        for i in 0..5 {
            assert_eq!(
                l.on_syn(t, tuple(), &syn(i, 1460), FRESH),
                SynDecision::Open
            );
        }
        assert!(l.syn_queue_full());
        assert_eq!(
            l.on_syn(t, tuple(), &syn(9, 1460), FRESH),
            SynDecision::Drop(SynDrop::SynQueueFull)
        );
        // A SYN that reopens a TIME-WAIT 4-tuple is admitted beyond the limit.
        let tw = SynContext {
            reopens_time_wait: true,
            ..FRESH
        };
        assert_eq!(l.on_syn(t, tuple(), &syn(10, 1460), tw), SynDecision::Open);
        for _ in 0..5 {
            l.half_open_ended(true, true);
        }
        assert!(l.accept_queue_full(), "5 waiting > 4");
        assert_eq!(
            l.on_syn(t, tuple(), &syn(11, 1460), tw),
            SynDecision::Drop(SynDrop::AcceptQueueFull),
            "nothing passes a full accept queue"
        );
        // listen(fd, 0) still lets one connection in.
        let mut zero = linux(0, 4096, 4096, SynCookies::Off);
        assert_eq!(
            zero.on_syn(t, tuple(), &syn(1, 1460), FRESH),
            SynDecision::Open
        );
        assert!(zero.syn_queue_full());
    }

    /// `tcp_syncookies = 2`: a cookie for every SYN, even into an empty queue; a full accept
    /// queue still drops the SYN.
    #[test]
    fn syncookies_two_sends_cookies_always() {
        let t = Time::ZERO;
        let mut l = linux(128, 4096, 4096, SynCookies::Always);
        for i in 0..3 {
            assert!(matches!(
                l.on_syn(t, tuple(), &syn(i, 1460), FRESH),
                SynDecision::Cookie(_)
            ));
        }
        assert_eq!((l.half_open(), l.stats().syncookies_sent), (0, 3));
        let mut one = linux(0, 4096, 4096, SynCookies::Always);
        let ack = |synack: Segment| Segment {
            src_port: 40000,
            dst_port: 80,
            seq: Seq(2),
            ack: synack.seq + 1,
            flags: Flags::ACK,
            window: 65535,
            len: 0,
            opts: Options::default(),
            ecn: Default::default(),
        };
        // listen(fd, 0): the accept queue takes one connection, then is full.
        let SynDecision::Cookie(synack) = one.on_syn(t, tuple(), &syn(1, 1460), FRESH) else {
            panic!("a cookie while the accept queue has room");
        };
        assert!(matches!(
            one.on_ack(t, tuple(), &ack(synack)),
            CookieAck::Open(_)
        ));
        assert_eq!(one.unaccepted(), 1);
        // The same cookie again with the accept queue full: valid, but dropped unanswered
        // (`tcp_get_cookie_sock` gets no child), and counted as an overflow.
        assert!(matches!(
            one.on_ack(t, tuple(), &ack(synack)),
            CookieAck::AcceptQueueFull
        ));
        assert_eq!(one.stats().listen_overflows, 1);
        assert_eq!(
            one.on_syn(t, tuple(), &syn(1, 1460), FRESH),
            SynDecision::Drop(SynDrop::AcceptQueueFull)
        );
    }

    /// Without cookies, `tcp_max_syn_backlog = 16` keeps its last quarter (4 entries) for
    /// proven peers: an unproven one is dropped once 12 are taken.
    #[test]
    fn without_cookies_the_last_quarter_is_for_proven_peers() {
        let t = Time::ZERO;
        let mut l = linux(128, 4096, 16, SynCookies::Off);
        for i in 0..13 {
            assert_eq!(
                l.on_syn(t, tuple(), &syn(i, 1460), FRESH),
                SynDecision::Open,
                "{i}"
            );
        }
        // 13 taken: 16 − 13 = 3 < 4.
        assert_eq!(
            l.on_syn(t, tuple(), &syn(20, 1460), FRESH),
            SynDecision::Drop(SynDrop::PeerNotProven)
        );
        let proven = SynContext {
            peer_proven: true,
            ..FRESH
        };
        assert_eq!(
            l.on_syn(t, tuple(), &syn(21, 1460), proven),
            SynDecision::Open
        );
        // With cookies the reserve does not apply.
        let mut c = linux(128, 4096, 16, SynCookies::Overflow);
        for i in 0..20 {
            assert_eq!(
                c.on_syn(t, tuple(), &syn(i, 1460), FRESH),
                SynDecision::Open
            );
        }
    }

    #[test]
    fn a_cookie_round_trips_its_mss_for_two_minutes() {
        let l = listener(0, true);
        for (mss, encoded) in [(1460, 1460), (1400, 1300), (9000, 1460), (100, 536)] {
            let at = Time::ZERO + Duration::from_secs(59);
            let synack = l.cookie_synack(at, tuple(), &syn(777, mss));
            assert_eq!(synack.ack, Seq(778));
            // Made in minute 0, still good in minute 1, stale from minute 2.
            let later = at + Duration::from_secs(60);
            let got = l.check_cookie(later, tuple(), Seq(777), synack.seq);
            assert_eq!(got, Some(encoded));
            let stale = at + Duration::from_secs(61);
            assert_eq!(l.check_cookie(stale, tuple(), Seq(777), synack.seq), None);
        }
    }

    #[test]
    fn a_forged_cookie_fails() {
        let l = listener(0, true);
        let synack = l.cookie_synack(Time::ZERO, tuple(), &syn(777, 1460));
        let other = FourTuple {
            remote_port: 40001,
            ..tuple()
        };
        // Another 4-tuple, a guess, or a forged clock field: all rejected (as in Linux, the
        // MSS-index check leaves a 4-in-2²⁴ chance per blind guess).
        assert_eq!(
            l.check_cookie(Time::ZERO, other, Seq(777), synack.seq),
            None
        );
        assert_eq!(
            l.check_cookie(Time::ZERO, tuple(), Seq(777), Seq(12_345)),
            None
        );
        let wrong_tick = synack.seq + (5 << COOKIE_BITS);
        assert_eq!(
            l.check_cookie(Time::ZERO, tuple(), Seq(777), wrong_tick),
            None
        );
    }

    /// `reqsk_timer_handler`'s arithmetic: under half full, every entry keeps its 5 retries;
    /// over half full, one fewer per halving of the young share, down to 2.
    #[test]
    fn pruning_lowers_the_retries_of_old_entries() {
        let config = Config {
            backlog: 128,
            ..Config::linux()
        };
        let mut l = Listener::new(&config, 80, &mut ChaCha8Rng::seed_from_u64(3));
        let t = Time::ZERO;
        for i in 0..100 {
            assert_eq!(
                l.on_syn(t, tuple(), &syn(i, 1460), FRESH),
                SynDecision::Open
            );
        }
        assert_eq!(l.synack_retry_limit(), 5, "all 100 young: 100 < 2·100");
        for _ in 0..70 {
            l.synack_timed_out();
        }
        // 30 young: 100 ≥ 60 → 4; 100 < 120 → stop.
        assert_eq!(l.synack_retry_limit(), 4);
        for _ in 0..20 {
            l.synack_timed_out();
        }
        // 10 young: 100 ≥ 20, 40, 80 → 2.
        assert_eq!(l.synack_retry_limit(), 2);
        // Back under half full (64 of 128): no pruning.
        for _ in 0..36 {
            l.half_open_ended(false, false);
        }
        assert_eq!(l.synack_retry_limit(), 5);
        let rfc = Listener::new(
            &Config {
                backlog: 128,
                syn_queue_pruning: false,
                ..Config::linux()
            },
            80,
            &mut ChaCha8Rng::seed_from_u64(3),
        );
        assert_eq!(rfc.synack_retry_limit(), 5);
    }
}
