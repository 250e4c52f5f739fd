//! Segments on the wire: header fields only.
//!
//! Simplified: a segment carries no payload bytes, only its length `len`. The byte stream is
//! modelled by sequence numbers alone (the content of stream byte *k* is implied by *k* if it
//! is ever needed), so nothing is copied. The options modelled are MSS, window scale
//! (RFC 7323 §2), SACK-permitted and SACK (RFC 2018) and timestamps (RFC 7323 §3), laid out
//! on the wire as Linux lays them out (`tcp_options_write`); no URG or PSH. The window is
//! the 16-bit header field: the sender's window-scale shift applies to it except on SYNs
//! (RFC 7323 §2.2). The IP header's ECN field rides along ([`Ecn`], RFC 3168 §5), with the
//! TCP flags ECE and CWR (§6.1).

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

use crate::seq::Seq;

/// The control bits modelled: SYN, FIN, RST, ACK, and ECN's ECE and CWR (RFC 3168 §6.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    pub const NONE: Flags = Flags(0);
    pub const SYN: Flags = Flags(1);
    pub const FIN: Flags = Flags(2);
    pub const RST: Flags = Flags(4);
    pub const ACK: Flags = Flags(8);
    /// ECN-Echo (RFC 3168 §6.1): on a SYN, with CWR, "I can do ECN"; on a SYN-ACK, "so can
    /// I"; afterwards, "a packet of yours arrived marked CE".
    pub const ECE: Flags = Flags(16);
    /// Congestion Window Reduced (RFC 3168 §6.1.2): the sender has answered an ECE.
    pub const CWR: Flags = Flags(32);

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn syn(self) -> bool {
        self.contains(Flags::SYN)
    }
    pub fn fin(self) -> bool {
        self.contains(Flags::FIN)
    }
    pub fn rst(self) -> bool {
        self.contains(Flags::RST)
    }
    pub fn ack(self) -> bool {
        self.contains(Flags::ACK)
    }
    pub fn ece(self) -> bool {
        self.contains(Flags::ECE)
    }
    pub fn cwr(self) -> bool {
        self.contains(Flags::CWR)
    }
    /// `self` without the flags of `other`.
    pub fn without(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

impl BitOrAssign for Flags {
    fn bitor_assign(&mut self, other: Flags) {
        self.0 |= other.0;
    }
}

impl fmt::Display for Flags {
    /// The set flags joined by commas in the order `SYN,FIN,RST,ACK,ECE,CWR` (DESIGN.md trace
    /// format); no flag at all prints as the empty string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Flags, &str); 6] = [
            (Flags::SYN, "SYN"),
            (Flags::FIN, "FIN"),
            (Flags::RST, "RST"),
            (Flags::ACK, "ACK"),
            (Flags::ECE, "ECE"),
            (Flags::CWR, "CWR"),
        ];
        // Build into a small stack buffer so that width and alignment apply to the whole.
        let mut buf = [0u8; 23];
        let mut n = 0;
        for (flag, name) in NAMES {
            if self.contains(flag) {
                if n > 0 {
                    buf[n] = b',';
                    n += 1;
                }
                buf[n..n + 3].copy_from_slice(name.as_bytes());
                n += 3;
            }
        }
        f.pad(std::str::from_utf8(&buf[..n]).expect("ASCII"))
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags({self})")
    }
}

/// One TCP segment's header, and the length of the payload it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Segment {
    pub src_port: u16,
    pub dst_port: u16,
    /// SEG.SEQ: the first sequence number the segment occupies.
    pub seq: Seq,
    /// SEG.ACK: meaningful only when the ACK flag is set (0 otherwise).
    pub ack: Seq,
    pub flags: Flags,
    /// SEG.WND as the header carries it: bytes, shifted right by the sender's window scale
    /// on every segment but a SYN (RFC 7323 §2.2).
    pub window: u16,
    /// Payload bytes (not counting SYN or FIN).
    pub len: u32,
    pub opts: Options,
    /// The ECN field of the IP header that carries it (RFC 3168 §5).
    pub ecn: Ecn,
}

/// The two ECN bits of the IP header (RFC 3168 §5): whether the sender's transport does ECN
/// (ECT) and whether a router on the way marked congestion (CE) instead of dropping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Ecn {
    /// 00: Not ECN-Capable Transport. Linux sends pure ACKs, SYNs, retransmissions and every
    /// segment of a connection without ECN this way.
    #[default]
    NotEct,
    /// 10: ECN-Capable Transport, ECT(0): what an ECN sender puts on its new data (Linux
    /// `INET_ECN_xmit`).
    Ect0,
    /// 01: ECT(1) (L4S, not sent by RFC 3168 endpoints; a queue marks it as it does ECT(0)).
    Ect1,
    /// 11: Congestion Experienced, set by a queue in place of a drop.
    Ce,
}

impl Ecn {
    /// ECT(0) or ECT(1) (RFC 3168 §5).
    pub fn is_ect(self) -> bool {
        matches!(self, Ecn::Ect0 | Ecn::Ect1)
    }
}

/// The TCP options of one segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Options {
    /// Maximum segment size; only SYNs carry one (RFC 9293 §3.7.1).
    pub mss: Option<u16>,
    /// Window scale shift, 0..=14; only SYNs carry one (RFC 7323 §2.2).
    pub wscale: Option<u8>,
    /// SACK-permitted; only SYNs carry it (RFC 2018 §2).
    pub sack_permitted: bool,
    /// TSval and TSecr (RFC 7323 §3.2).
    pub timestamp: Option<Timestamp>,
    /// SACK blocks (RFC 2018 §3), the most recent first.
    pub sack: SackBlocks,
}

/// The timestamps option's two values (RFC 7323 §3.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// TSval: the sender's timestamp clock.
    pub val: u32,
    /// TSecr: the TSval echoed back (meaningful on segments with ACK).
    pub ecr: u32,
}

/// Up to four SACK blocks `[left, right)` (RFC 2018 §3: at most four fit in the option
/// space; three beside timestamps).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SackBlocks {
    len: u8,
    blocks: [(Seq, Seq); SackBlocks::MAX],
}

impl SackBlocks {
    pub const MAX: usize = 4;

    /// The blocks of `blocks`, up to [`SackBlocks::MAX`] of them.
    pub fn from_slice(blocks: &[(Seq, Seq)]) -> SackBlocks {
        let mut all = SackBlocks::default();
        for &b in blocks.iter().take(Self::MAX) {
            all.push(b);
        }
        all
    }

    /// Appends a block, if there is room; returns whether there was.
    pub fn push(&mut self, block: (Seq, Seq)) -> bool {
        let n = usize::from(self.len);
        if n == Self::MAX {
            return false;
        }
        self.blocks[n] = block;
        self.len += 1;
        true
    }

    /// Keeps the first `n` blocks.
    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n as u8);
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_slice(&self) -> &[(Seq, Seq)] {
        &self.blocks[..usize::from(self.len)]
    }
}

impl Options {
    /// Bytes the options take in the header, as Linux lays them out (`tcp_options_write`):
    /// MSS 4; SACK-permitted and timestamps together 12 (`sackOK, TS`), timestamps alone 12
    /// (`nop, nop, TS`), SACK-permitted alone 4 (`nop, nop, sackOK`); window scale 4 (`nop,
    /// wscale`); SACK 4 + 8 per block (`nop, nop, sack`).
    pub fn wire_len(&self) -> u32 {
        let mut n = 0;
        if self.mss.is_some() {
            n += 4;
        }
        n += match (self.timestamp.is_some(), self.sack_permitted) {
            (true, _) => 12,
            (false, true) => 4,
            (false, false) => 0,
        };
        if self.wscale.is_some() {
            n += 4;
        }
        if !self.sack.is_empty() {
            n += 4 + 8 * self.sack.len() as u32;
        }
        n
    }
}

impl Segment {
    /// SEG.LEN: the sequence space the segment occupies — payload, plus one for SYN and one
    /// for FIN (RFC 9293 §3.4).
    pub fn seq_len(&self) -> u32 {
        self.len + u32::from(self.flags.syn()) + u32::from(self.flags.fin())
    }

    /// The sequence number just after the segment.
    pub fn end(&self) -> Seq {
        self.seq + self.seq_len()
    }

    /// A bare RST with the given sequence and (if `ack` is `Some`) acknowledgment numbers.
    pub fn rst(src_port: u16, dst_port: u16, seq: Seq, ack: Option<Seq>) -> Segment {
        let (flags, ack) = match ack {
            Some(a) => (Flags::RST | Flags::ACK, a),
            None => (Flags::RST, Seq(0)),
        };
        Segment {
            src_port,
            dst_port,
            seq,
            ack,
            flags,
            window: 0,
            len: 0,
            opts: Options::default(),
            ecn: Ecn::NotEct,
        }
    }
}

// A segment is copied into every event and trace record: 76 bytes, as before the ECN field
// (which takes a byte of padding).
const _: () = assert!(std::mem::size_of::<Segment>() <= 76);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_print_in_trace_order() {
        assert_eq!((Flags::ACK | Flags::SYN).to_string(), "SYN,ACK");
        assert_eq!(
            (Flags::ACK | Flags::FIN | Flags::RST).to_string(),
            "FIN,RST,ACK"
        );
        assert_eq!(Flags::NONE.to_string(), "");
        assert_eq!(format!("{:<8}|", Flags::SYN | Flags::ACK), "SYN,ACK |");
        let all = Flags::SYN | Flags::FIN | Flags::RST | Flags::ACK;
        assert_eq!(all.to_string(), "SYN,FIN,RST,ACK");
        let all = all | Flags::ECE | Flags::CWR;
        assert_eq!(all.to_string(), "SYN,FIN,RST,ACK,ECE,CWR");
        assert_eq!(
            all.without(Flags::ECE | Flags::CWR).to_string(),
            "SYN,FIN,RST,ACK"
        );
    }

    #[test]
    fn syn_and_fin_take_a_sequence_number() {
        let mut s = Segment::rst(1, 2, Seq(10), None);
        s.flags = Flags::SYN;
        assert_eq!(s.seq_len(), 1);
        s.flags = Flags::FIN | Flags::ACK;
        s.len = 100;
        assert_eq!(s.seq_len(), 101);
        assert_eq!(s.end(), Seq(111));
    }
}
