//! The options a connection agrees on in its handshake and then carries: window scaling
//! and timestamps (RFC 7323), SACK (RFC 2018). Each side offers what its [`Config`] enables;
//! an option is in use when both offered it (RFC 7323 §2.2, §3.2; RFC 2018 §2), as Linux
//! decides in `tcp_parse_options` and `tcp_openreq_init`.

use synack_sim::Time;

use super::{Connection, MAX_UNSCALED, MAX_WINDOW};
use crate::config::Config;
use crate::segment::{Options, SackBlocks, Segment, Timestamp};
use crate::seq::Seq;

/// RFC 7323 §2.3: the largest shift.
pub const MAX_WSCALE: u8 = 14;

/// The timestamp clock's offset: 1 ms, so that no TSval is 0 (a TSecr of 0 means "none",
/// RFC 7323 §3.2).
pub const TS_OFFSET: u32 = 1;

/// Bytes the timestamps option takes from every segment's payload once in use (Linux
/// `TCPOLEN_TSTAMP_ALIGNED`).
pub const TIMESTAMPS_LEN: u32 = 12;

/// What the handshake agreed on, and the timestamps' state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Agreed {
    /// Window scaling is in use (both offered it; a shift may still be 0).
    pub scaling: bool,
    /// Shift of the windows the peer sends us (its window-scale option), 0 without scaling.
    pub snd_wscale: u8,
    /// Shift of the windows we send (ours), 0 without scaling.
    pub rcv_wscale: u8,
    /// SACK blocks may be sent (and are understood).
    pub sack: bool,
    /// Timestamps are in use.
    pub timestamps: bool,
    /// TS.Recent (RFC 7323 §4.3): the TSval to echo.
    pub ts_recent: u32,
    /// When TS.Recent was last set, in whole seconds (Linux's `ts_recent_stamp`,
    /// [`stamp_seconds`]): TIME-WAIT's PAWS test of a RST depends on its age.
    pub ts_recent_stamp: u32,
}

/// Linux `ktime_get_seconds`: whole seconds of the clock at `now`, the unit of
/// `ts_recent_stamp`.
pub(crate) fn stamp_seconds(now: Time) -> u32 {
    (now.as_nanos() / 1_000_000_000) as u32
}

/// The host's timestamp clock at `now`: milliseconds (Linux's 1 kHz TCP clock) plus
/// [`TS_OFFSET`], the same for every connection, so that TSvals grow across a host's
/// connections (Linux adds a secret offset per pair of addresses, `secure_tcp_ts_off`,
/// which keeps what matters here: successive incarnations of a 4-tuple see increasing
/// TSvals, for PAWS and TIME-WAIT reuse).
pub fn ts_clock(now: Time) -> u32 {
    ((now.as_nanos() / 1_000_000) as u32).wrapping_add(TS_OFFSET)
}

/// Whether timestamp `a` is before `b`, modulo 2³² (RFC 7323 §5.3).
pub(crate) fn ts_before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// PAWS (RFC 7323 §5.3 R1, Linux `tcp_paws_discard`): `seg` carries a TSval older than
/// TS.Recent = `recent`, so it is an old duplicate. A RST is never discarded this way.
pub(crate) fn paws_rejects(seg: &Segment, recent: u32) -> bool {
    !seg.flags.rst() && (seg.opts.timestamp).is_some_and(|ts| ts_before(ts.val, recent))
}

impl Agreed {
    /// The peer's SYN (or SYN-ACK) arrived: what both ends offered is agreed.
    pub fn take_peer_syn(&mut self, now: Time, config: &Config, syn: &Options) {
        self.sack = config.sack && syn.sack_permitted;
        if let Some(ts) = syn.timestamp.filter(|_| config.timestamps) {
            self.timestamps = true;
            self.ts_recent = ts.val;
            self.ts_recent_stamp = stamp_seconds(now);
        }
        if let Some(shift) = syn.wscale.filter(|_| config.window_scaling) {
            // RFC 7323 §2.3: a shift above 14 is taken as 14.
            self.scaling = true;
            self.snd_wscale = shift.min(MAX_WSCALE);
            self.rcv_wscale = wscale_for(config.recv_buffer);
        }
    }

    /// The timestamp option a segment of ours carries at `now` once timestamps are agreed
    /// (RFC 7323 §3.2): our clock, and TS.Recent echoed.
    pub fn timestamp(&self, now: Time) -> Option<Timestamp> {
        self.timestamps.then(|| Timestamp {
            val: ts_clock(now),
            ecr: self.ts_recent,
        })
    }

    /// PAWS with the agreed timestamps ([`paws_rejects`]).
    pub fn paws_rejects(&self, seg: &Segment) -> bool {
        self.timestamps && paws_rejects(seg, self.ts_recent)
    }

    /// RFC 7323 §4.3 (2), as Linux applies it (`tcp_replace_ts_recent`): a segment that
    /// passed PAWS and starts at or before the last ACK we sent updates TS.Recent.
    pub fn update_ts_recent(&mut self, now: Time, seg: &Segment, last_ack_sent: Seq) {
        if let Some(ts) = seg.opts.timestamp.filter(|_| self.timestamps) {
            if seg.seq.le(last_ack_sent) {
                self.ts_recent = ts.val;
                self.ts_recent_stamp = stamp_seconds(now);
            }
        }
    }
}

/// Linux `tcp_select_initial_window`: the smallest shift that lets the 16-bit window field
/// express the receive buffer, at most 14.
pub fn wscale_for(recv_buffer: u64) -> u8 {
    let space = recv_buffer.min(MAX_WINDOW);
    let log2 = 63 - space.max(1).leading_zeros() as i64;
    (log2 - 15).clamp(0, i64::from(MAX_WSCALE)) as u8
}

/// The window a SYN or SYN-ACK offers, unscaled (RFC 7323 §2.2): the receive buffer up to
/// 65,535 bytes, rounded down to a multiple of the MSS as Linux offers it
/// (`tcp_select_initial_window`: 64,240 bytes at MSS 1460).
pub fn syn_window(recv_buffer: u64, mss: u32) -> u16 {
    let mss = u64::from(mss).max(1);
    let space = recv_buffer.min(MAX_UNSCALED);
    (if space > mss {
        space / mss * mss
    } else {
        space
    }) as u16
}

impl Connection {
    /// The options of our SYN (SYN-SENT: what the configuration offers) or SYN-ACK (what
    /// the peer offered too), as Linux's `tcp_syn_options` and `tcp_synack_options` choose.
    pub(super) fn syn_options(&self, now: Time, synack: bool) -> Options {
        let c = &self.config;
        let a = &self.agreed;
        let offers = |ours: bool, agreed: bool| if synack { agreed } else { ours };
        Options {
            mss: Some(c.mss.min(u32::from(u16::MAX)) as u16),
            wscale: offers(c.window_scaling, a.scaling).then(|| wscale_for(c.recv_buffer)),
            sack_permitted: offers(c.sack, a.sack),
            timestamp: offers(c.timestamps, a.timestamps).then(|| Timestamp {
                val: ts_clock(now),
                ecr: if synack { a.ts_recent } else { 0 },
            }),
            sack: SackBlocks::default(),
        }
    }
}
