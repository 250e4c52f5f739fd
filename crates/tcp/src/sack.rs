//! The sender's SACK scoreboard (RFC 6675 §3): which bytes beyond SND.UNA the receiver
//! holds, reported in SACK blocks (RFC 2018), as sorted disjoint ranges.
//!
//! Bounded: at most [`Scoreboard::MAX`] ranges; a block that would need one more is
//! forgotten (the sender may then retransmit bytes the receiver holds, never the reverse:
//! a scoreboard that knows less only makes the sender more careful). No allocation.
//!
//! Loss is decided RFC 6675's way (`IsLost`, §4 with DupThresh = 3, by bytes): a byte not
//! SACKed is lost when more than 2·SMSS bytes above it are. Linux's default detection is
//! RACK (RFC 8985, time-based), which is not modelled.

use crate::seq::Seq;

/// SACKed ranges `[left, right)`, sorted, disjoint, not touching, all above SND.UNA.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scoreboard {
    len: u8,
    ranges: [(Seq, Seq); Scoreboard::MAX],
}

impl Scoreboard {
    pub const MAX: usize = 32;

    pub fn ranges(&self) -> &[(Seq, Seq)] {
        &self.ranges[..usize::from(self.len)]
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Takes a SACK block. Only what lies within `[una, max)` counts (RFC 2018 §4 blocks
    /// below SND.UNA are D-SACKs, RFC 2883, not modelled). Returns how many bytes it
    /// newly SACKed.
    pub fn add(&mut self, (left, right): (Seq, Seq), una: Seq, max: Seq) -> u32 {
        let left = left.max(una);
        let right = right.min(max);
        if !left.lt(right) {
            return 0;
        }
        let before = self.bytes();
        let n = usize::from(self.len);
        // Ranges that overlap or touch the block merge with it.
        let first = self.ranges[..n].partition_point(|&(_, r)| r.lt(left));
        let last = first
            + self.ranges[first..n]
                .iter()
                .take_while(|&&(l, _)| l.le(right))
                .count();
        let merged = if first < last {
            (
                self.ranges[first].0.min(left),
                self.ranges[last - 1].1.max(right),
            )
        } else {
            (left, right)
        };
        let removed = last - first;
        if removed == 0 && n == Self::MAX {
            return 0; // no room: forgotten
        }
        // Replace ranges[first..last] by the merged one.
        let new_len = n - removed + 1;
        if removed == 0 {
            self.ranges.copy_within(first..n, first + 1);
        } else {
            self.ranges.copy_within(last..n, first + 1);
        }
        self.ranges[first] = merged;
        self.len = new_len as u8;
        self.bytes() - before
    }

    /// SND.UNA moved to `una`: ranges below it go. Returns the SACKed bytes it covered.
    pub fn advance(&mut self, una: Seq) -> u32 {
        let before = self.bytes();
        let n = usize::from(self.len);
        let gone = self.ranges[..n].partition_point(|&(_, r)| r.le(una));
        self.ranges.copy_within(gone..n, 0);
        self.len = (n - gone) as u8;
        if let Some(first) = self.ranges[..usize::from(self.len)].first_mut() {
            first.0 = first.0.max(una);
        }
        before - self.bytes()
    }

    /// All SACKed bytes.
    pub fn bytes(&self) -> u32 {
        self.ranges().iter().map(|&(l, r)| r.since(l)).sum()
    }

    /// SACKed bytes in `[from, to)`.
    pub fn bytes_in(&self, from: Seq, to: Seq) -> u32 {
        self.ranges()
            .iter()
            .map(|&(l, r)| {
                let (l, r) = (l.max(from), r.min(to));
                if l.lt(r) {
                    r.since(l)
                } else {
                    0
                }
            })
            .sum()
    }

    /// The lost boundary: every byte below it that is not SACKed is lost (RFC 6675 §4
    /// `IsLost`: more than 2·SMSS bytes above it are SACKed). `una` when nothing is lost.
    pub fn lost_below(&self, una: Seq, smss: u32) -> Seq {
        let mut above = 0u32;
        for &(l, r) in self.ranges().iter().rev() {
            above += r.since(l);
            if above > 2 * smss {
                return l;
            }
        }
        una
    }

    /// The first byte at or after `from` that is not SACKed, and where the SACKed range
    /// after it starts (if one does).
    pub fn next_hole(&self, from: Seq) -> (Seq, Option<Seq>) {
        let mut at = from;
        for &(l, r) in self.ranges() {
            if r.le(at) {
                continue;
            }
            if l.le(at) {
                at = r;
                continue;
            }
            return (at, Some(l));
        }
        (at, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(blocks: &[(u32, u32)]) -> Scoreboard {
        let mut s = Scoreboard::default();
        for &(l, r) in blocks {
            s.add((Seq(l), Seq(r)), Seq(0), Seq(100_000));
        }
        s
    }

    fn ranges(s: &Scoreboard) -> Vec<(u32, u32)> {
        s.ranges().iter().map(|(l, r)| (l.0, r.0)).collect()
    }

    #[test]
    fn blocks_merge_and_count_only_new_bytes() {
        let mut s = board(&[(3000, 4000), (1000, 2000)]);
        assert_eq!(ranges(&s), vec![(1000, 2000), (3000, 4000)]);
        assert_eq!(s.add((Seq(1500), Seq(3000)), Seq(0), Seq(100_000)), 1000);
        assert_eq!(ranges(&s), vec![(1000, 4000)]);
        assert_eq!(s.add((Seq(1000), Seq(4000)), Seq(0), Seq(100_000)), 0);
        assert_eq!(
            s.add((Seq(5000), Seq(6000)), Seq(0), Seq(5500)),
            500,
            "clipped"
        );
        assert_eq!(
            s.add((Seq(0), Seq(500)), Seq(600), Seq(100_000)),
            0,
            "below UNA"
        );
        assert_eq!(s.bytes(), 3500);
        assert_eq!(s.bytes_in(Seq(2000), Seq(5200)), 2200);
    }

    #[test]
    fn advancing_drops_what_is_acknowledged() {
        let mut s = board(&[(1000, 2000), (3000, 4000)]);
        assert_eq!(s.advance(Seq(1500)), 500);
        assert_eq!(ranges(&s), vec![(1500, 2000), (3000, 4000)]);
        assert_eq!(s.advance(Seq(3000)), 500);
        assert_eq!(ranges(&s), vec![(3000, 4000)]);
    }

    #[test]
    fn lost_means_more_than_two_segments_sacked_above() {
        // Holes at 0, 1000, 3000; SACKed 1 segment, then 2 segments.
        let s = board(&[(1000, 2000), (4000, 6000)]);
        assert_eq!(
            s.lost_below(Seq(0), 1000),
            Seq(1000),
            "3000 bytes above 0: lost"
        );
        let s = board(&[(4000, 6000)]);
        assert_eq!(s.lost_below(Seq(0), 1000), Seq(0), "2000 bytes: not yet");
        assert_eq!(s.next_hole(Seq(0)), (Seq(0), Some(Seq(4000))));
        assert_eq!(s.next_hole(Seq(4500)), (Seq(6000), None));
    }

    #[test]
    fn a_full_board_forgets_new_blocks() {
        let mut s = Scoreboard::default();
        for i in 0..Scoreboard::MAX as u32 + 3 {
            s.add((Seq(i * 100), Seq(i * 100 + 50)), Seq(0), Seq(100_000));
        }
        assert_eq!(s.ranges().len(), Scoreboard::MAX);
        // A block that merges with a known range still counts.
        assert_eq!(s.add((Seq(50), Seq(100)), Seq(0), Seq(100_000)), 50);
    }
}
