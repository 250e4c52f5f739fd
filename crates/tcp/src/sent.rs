//! What the sender remembers of the segments it sent, for congestion control: when each
//! went out, so that every ACK can carry the round trip of the newest segment it covers
//! (Linux's `ca_rtt_us` in `tcp_clean_rtx_queue`, which CUBIC's `delay_min` and HyStart
//! read), and how full the window was (Linux's `tcp_cwnd_validate`). The RFC 6298 estimator
//! keeps its own single timed segment; nothing here feeds it.
//!
//! Simplified: a retransmission marks everything below its end as retransmitted (one
//! high-water mark, where Linux flags each segment), so an ACK that starts below the mark
//! gives no sample even if the bytes it covers went out once. The one retransmission that
//! does not go out from the bottom, a tail loss probe of the last segment, is kept apart
//! with its own send time.

use std::collections::VecDeque;

use synack_sim::{Duration, Time};

use crate::seq::Seq;

/// Transmission times of the segments in flight and the window's use.
#[derive(Clone, Debug)]
pub(crate) struct SentLog {
    /// First transmissions not yet fully acknowledged: (end sequence number, sent at),
    /// oldest first. Its length is Linux's `packets_out`.
    segments: VecDeque<(Seq, Time)>,
    /// One past the highest sequence number ever retransmitted.
    retransmitted_to: Seq,
    /// A tail loss probe that resent the last segment: its range and when it went out.
    probe: Option<(Seq, Seq, Time)>,
    /// When data (not a bare SYN or FIN) last went out (Linux's `lsndtime`).
    last_data: Option<Time>,
    /// `tcp_cwnd_validate`'s state: the window was full in the current window of data,
    /// the most segments outstanding in it, and where that window of data ends.
    is_cwnd_limited: bool,
    max_packets_out: u32,
    cwnd_usage_seq: Seq,
}

impl SentLog {
    /// An empty log; `segments` is an empty buffer to fill (one a stack kept from an
    /// earlier connection, see [`crate::connection::Buffers`]).
    pub(crate) fn new(iss: Seq, segments: VecDeque<(Seq, Time)>) -> SentLog {
        debug_assert!(segments.is_empty());
        SentLog {
            segments,
            retransmitted_to: iss,
            probe: None,
            last_data: None,
            is_cwnd_limited: false,
            max_packets_out: 0,
            cwnd_usage_seq: iss,
        }
    }

    /// Empties the log and hands over its buffer.
    pub(crate) fn take_buffer(&mut self) -> VecDeque<(Seq, Time)> {
        let mut segments = std::mem::take(&mut self.segments);
        segments.clear();
        segments
    }

    /// A segment ending before `end` went out at `now`; `retransmission` if it was sent
    /// before.
    pub(crate) fn on_send(&mut self, now: Time, end: Seq, retransmission: bool) {
        if retransmission {
            self.retransmitted_to = self.retransmitted_to.max(end);
        } else {
            self.segments.push_back((end, now));
        }
    }

    /// `[left, right)` cut to the whole first transmissions it covers (`una` is where the
    /// oldest one in flight starts), or `None` if it covers none: the part of a block that
    /// only covers some of a segment's bytes does not count.
    pub(crate) fn whole_segments(&self, una: Seq, (left, right): (Seq, Seq)) -> Option<(Seq, Seq)> {
        // Segment i spans [end of i − 1 (or SND.UNA), end of i); segment `first` is the one
        // `left` falls in.
        let first = self.segments.partition_point(|&(end, _)| end.le(left));
        let first_start = first.checked_sub(1).map_or(una, |i| self.segments[i].0);
        let start = if left.le(first_start) {
            first_start
        } else {
            self.segments.get(first)?.0
        };
        let last = self.segments.partition_point(|&(end, _)| end.le(right));
        let end = self.segments.get(last.checked_sub(1)?)?.0;
        start.lt(end).then_some((start, end))
    }

    /// A tail loss probe resent `[start, end)`, the last segment, at `now`.
    pub(crate) fn on_probe(&mut self, now: Time, start: Seq, end: Seq) {
        self.probe = Some((start, end, now));
    }

    /// Where the last first transmission starts (SND.UNA if it is the only one in flight).
    pub(crate) fn last_start(&self, una: Seq) -> Seq {
        let n = self.segments.len();
        match n.checked_sub(2) {
            Some(i) => self.segments[i].0.max(una),
            None => una,
        }
    }

    /// Segments sent and not yet acknowledged (Linux's `packets_out`).
    pub(crate) fn packets_out(&self) -> usize {
        self.segments.len()
    }

    /// When data last went out (Linux's `lsndtime`), if ever.
    pub(crate) fn last_data(&self) -> Option<Time> {
        self.last_data
    }

    /// Data goes out at `now`: when data last went out before, if ever.
    pub(crate) fn on_data_sent(&mut self, now: Time) -> Option<Time> {
        self.last_data.replace(now)
    }

    /// An ACK at `now` moved SND.UNA from `prior_una` to `ack`: forgets the segments it
    /// covers, and returns the round trips of the oldest and the newest of them (Linux's
    /// `seq_rtt_us` and `ca_rtt_us`) unless one of the bytes it acknowledges was ever
    /// retransmitted (Karn; Linux's `FLAG_RETRANS_DATA_ACKED`).
    pub(crate) fn on_ack(
        &mut self,
        now: Time,
        prior_una: Seq,
        ack: Seq,
    ) -> Option<(Duration, Duration)> {
        let mut times = None;
        while let Some(&(end, sent)) = self.segments.front() {
            if end.gt(ack) {
                break;
            }
            let (oldest, _) = times.unwrap_or((sent, sent));
            times = Some((oldest, sent));
            self.segments.pop_front();
        }
        let probed = self.probe.is_some_and(|(start, _, _)| ack.gt(start));
        if self.probe.is_some_and(|(_, end, _)| ack.ge(end)) {
            self.probe = None;
        }
        if prior_una.lt(self.retransmitted_to) || probed {
            return None;
        }
        times.map(|(o, n)| (now.saturating_since(o), now.saturating_since(n)))
    }

    /// Linux `tcp_cwnd_validate`, after a burst of sending: `cwnd_limited` if the window
    /// left no room for another full segment. The state holds for a window of data (until
    /// SND.UNA reaches the SND.NXT of when it was set), unless the window fills again or more
    /// segments are outstanding than it recorded.
    pub(crate) fn validate(&mut self, una: Seq, snd_nxt: Seq, cwnd_limited: bool) {
        let packets_out = u32::try_from(self.segments.len()).unwrap_or(u32::MAX);
        if una.ge(self.cwnd_usage_seq)
            || cwnd_limited
            || (!self.is_cwnd_limited && packets_out > self.max_packets_out)
        {
            self.is_cwnd_limited = cwnd_limited;
            self.max_packets_out = packets_out;
            self.cwnd_usage_seq = snd_nxt;
        }
    }

    /// When the byte before `end` last went out, and whether that was a tail loss probe's
    /// retransmission; nothing if it was ever retransmitted otherwise (its delivery may be
    /// the retransmission's or the original's).
    pub(crate) fn sent_through(&self, end: Seq) -> Option<(Time, bool)> {
        if let Some((start, probe_end, at)) = self.probe {
            if end.gt(start) && end.le(probe_end) {
                return Some((at, true));
            }
        }
        if end.le(self.retransmitted_to) {
            return None;
        }
        let i = self.segments.partition_point(|&(e, _)| e.lt(end));
        self.segments.get(i).map(|&(_, at)| (at, false))
    }

    /// The end of the last first transmission that went out at or before `at`, and the send
    /// time of the one after it, if any.
    pub(crate) fn split_at_time(&self, at: Time) -> (Option<Seq>, Option<(Seq, Time)>) {
        let k = self.segments.partition_point(|&(_, t)| t <= at);
        let last = k.checked_sub(1).map(|i| self.segments[i].0);
        (last, self.segments.get(k).copied())
    }

    /// Linux's `tp->is_cwnd_limited`.
    pub(crate) fn is_cwnd_limited(&self) -> bool {
        self.is_cwnd_limited
    }

    /// Linux's `tp->max_packets_out`.
    pub(crate) fn max_packets_out(&self) -> u32 {
        self.max_packets_out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four segments of 1000 bytes from 1: a block is cut to the whole ones it covers.
    #[test]
    fn sack_blocks_cover_whole_segments_only() {
        let mut log = SentLog::new(Seq(0), VecDeque::new());
        for end in [1001, 2001, 3001, 4001] {
            log.on_send(Time::ZERO, Seq(end), false);
        }
        let cut = |l: u32, r: u32| log.whole_segments(Seq(1), (Seq(l), Seq(r)));
        assert_eq!(cut(4000, 4001), None);
        assert_eq!(cut(3001, 4001), Some((Seq(3001), Seq(4001))));
        assert_eq!(cut(1500, 4000), Some((Seq(2001), Seq(3001))));
        assert_eq!(cut(1, 2500), Some((Seq(1), Seq(2001))));
        assert_eq!(cut(0, 5000), Some((Seq(1), Seq(4001))));
        assert_eq!(cut(2500, 2600), None);
        assert_eq!(cut(4001, 5001), None);
    }
}
