//! The receive side's byte stream: how much has arrived in order, and which ranges beyond a
//! hole are held for reassembly (RFC 9293 §3.10.7.4, seventh: "segments with higher beginning
//! sequence numbers … may be held for later processing").
//!
//! Offsets count stream bytes from the first data byte (the one after the peer's SYN), as
//! `u64`, so they never wrap. No payload is stored: only ranges.

/// In-order progress and out-of-order ranges of one direction of a connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reassembly {
    delivered: u64,
    /// Sorted, disjoint, non-adjacent `[start, end)` ranges, all beyond `delivered`.
    held: Vec<(u64, u64)>,
    /// The bytes in `held`.
    held_bytes: u64,
}

/// What one arriving piece of the stream did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Arrival {
    /// Bytes that became in order (deliverable) because of it.
    pub delivered: u64,
    /// It lies beyond a hole: RFC 5681 §4.2 asks for an immediate (duplicate) ACK.
    pub out_of_order: bool,
    /// It filled all or part of a hole: RFC 5681 §4.2 asks for an immediate ACK.
    pub filled_gap: bool,
    /// It brought no byte not seen before.
    pub duplicate: bool,
}

impl Reassembly {
    /// Bytes delivered in order so far: the offset of RCV.NXT.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Bytes held beyond holes.
    pub fn held_bytes(&self) -> u64 {
        self.held_bytes
    }

    /// The end of the last range held beyond a hole, if any.
    pub fn held_end(&self) -> Option<u64> {
        self.held.last().map(|&(_, e)| e)
    }

    /// Whether ranges are held beyond a hole.
    pub fn has_holes(&self) -> bool {
        !self.held.is_empty()
    }

    /// The held range that contains stream offset `offset`, if one does.
    pub fn held_range(&self, offset: u64) -> Option<(u64, u64)> {
        let i = self.held.partition_point(|&(_, e)| e <= offset);
        self.held.get(i).copied().filter(|&(s, _)| s <= offset)
    }

    /// Takes the stream bytes `[start, end)`, of which only those before `limit` (the right
    /// edge of the receive window) are kept.
    pub fn insert(&mut self, start: u64, end: u64, limit: u64) -> Arrival {
        let start = start.max(self.delivered);
        let end = end.min(limit);
        if start >= end {
            return Arrival {
                duplicate: true,
                ..Arrival::default()
            };
        }
        if start > self.delivered {
            let fresh = self.hold(start, end);
            return Arrival {
                out_of_order: true,
                duplicate: !fresh,
                ..Arrival::default()
            };
        }
        let had_holes = self.has_holes();
        let before = self.delivered;
        self.delivered = end;
        self.drain_contiguous();
        Arrival {
            delivered: self.delivered - before,
            filled_gap: had_holes,
            ..Arrival::default()
        }
    }

    /// Moves held ranges that now touch `delivered` into the in-order stream.
    fn drain_contiguous(&mut self) {
        let mut n = 0;
        for &(s, e) in &self.held {
            if s > self.delivered {
                break;
            }
            // Overlap with what `insert` delivered was never counted twice: count it out.
            self.held_bytes -= e - s;
            self.delivered = self.delivered.max(e);
            n += 1;
        }
        self.held.drain(..n);
    }

    /// Adds `[start, end)` to the held ranges, merging; returns whether any byte was new.
    fn hold(&mut self, start: u64, end: u64) -> bool {
        // Ranges that overlap or touch the piece: from the first ending at or after `start`
        // to the last starting at or before `end`.
        let i = self.held.partition_point(|&(_, e)| e < start);
        let j = i + self.held[i..]
            .iter()
            .take_while(|&&(s, _)| s <= end)
            .count();
        let old: u64 = self.held[i..j].iter().map(|(s, e)| e - s).sum();
        let s = self.held[i..j].first().map_or(start, |r| r.0.min(start));
        let e = self.held[i..j].last().map_or(end, |r| r.1.max(end));
        self.held.splice(i..j, [(s, e)]);
        self.held_bytes += (e - s) - old;
        // The ranges are disjoint, so the union grew exactly when the piece brought new bytes.
        e - s > old
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_then_holes_then_fill() {
        let mut r = Reassembly::default();
        let a = r.insert(0, 100, 1000);
        assert_eq!(a.delivered, 100);
        let a = r.insert(200, 300, 1000);
        assert!(a.out_of_order && !a.duplicate && a.delivered == 0);
        let a = r.insert(400, 500, 1000);
        assert!(a.out_of_order);
        assert_eq!(r.held_bytes(), 200);
        let a = r.insert(200, 300, 1000);
        assert!(a.out_of_order && a.duplicate);
        let a = r.insert(100, 200, 1000);
        assert_eq!((a.delivered, a.filled_gap), (200, true));
        let a = r.insert(300, 400, 1000);
        assert_eq!((a.delivered, a.filled_gap), (200, true));
        assert_eq!(r.delivered(), 500);
        assert!(!r.has_holes());
        assert_eq!(r.held_bytes(), 0);
        assert!(r.insert(0, 500, 1000).duplicate);
    }

    #[test]
    fn merges_overlaps_and_trims_to_the_window() {
        let mut r = Reassembly::default();
        r.insert(10, 20, 100);
        r.insert(30, 40, 100);
        let a = r.insert(15, 35, 100);
        assert!(!a.duplicate);
        assert_eq!(r.held, vec![(10, 40)]);
        assert!(r.insert(12, 38, 100).duplicate);
        r.insert(90, 150, 100);
        assert_eq!(r.held, vec![(10, 40), (90, 100)]);
        assert_eq!((r.held_bytes(), r.held_end()), (40, Some(100)));
        let a = r.insert(0, 95, 100);
        assert_eq!(a.delivered, 100);
        assert!(r.insert(100, 120, 100).duplicate, "beyond the window");
    }
}
