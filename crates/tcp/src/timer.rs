//! Timers are data: one optional deadline per kind, the next wake-up is the earliest.
//!
//! The caller wakes the endpoint at [`TimerTable::next`]; the endpoint then runs each timer
//! whose deadline has passed. A wake-up with nothing due does nothing, so the caller may wake
//! it spuriously (or late) without harm.

use synack_sim::{Duration, Time};

/// The endpoint's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// RFC 8985 §7: the tail loss probe; due no later than the retransmission timer, and
    /// run before it.
    LossProbe,
    /// RFC 6298: retransmission of SYN, SYN-ACK, data and FIN.
    Retransmit,
    /// RFC 8985 §6.2: RACK's reordering window has passed for a segment sent before one
    /// that was delivered.
    Reorder,
    /// RFC 1122 §4.2.3.2: the longest an ACK may wait.
    DelayedAck,
    /// RFC 9293 §3.6.1: TIME-WAIT lasts 2·MSL.
    TimeWait,
    /// Linux `tcp_fin_timeout`: the longest FIN-WAIT-2 may last.
    FinWait2,
    /// RFC 9293 §3.8.6.1: probe a zero window.
    Persist,
}

impl Timer {
    /// Every timer, in the order they run when due at the same instant.
    pub const ALL: [Timer; 7] = [
        Timer::LossProbe,
        Timer::Retransmit,
        Timer::Reorder,
        Timer::DelayedAck,
        Timer::TimeWait,
        Timer::FinWait2,
        Timer::Persist,
    ];
}

/// One deadline per [`Timer`]; `None` is "not armed".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerTable {
    at: [Option<Time>; Timer::ALL.len()],
}

impl TimerTable {
    pub fn set(&mut self, timer: Timer, at: Time) {
        self.at[timer as usize] = Some(at);
    }
    pub fn stop(&mut self, timer: Timer) {
        self.at[timer as usize] = None;
    }
    pub fn get(&self, timer: Timer) -> Option<Time> {
        self.at[timer as usize]
    }
    pub fn is_armed(&self, timer: Timer) -> bool {
        self.get(timer).is_some()
    }
    pub fn stop_all(&mut self) {
        self.at = Default::default();
    }
    /// The earliest armed deadline.
    pub fn next(&self) -> Option<Time> {
        self.at.iter().flatten().min().copied()
    }
    /// Whether `timer` is armed for `now` or earlier; disarms it if so.
    pub fn take_expired(&mut self, timer: Timer, now: Time) -> bool {
        match self.get(timer) {
            Some(at) if at <= now => {
                self.stop(timer);
                true
            }
            _ => false,
        }
    }
}

/// Linux's timer wheel levels (kernel/time/timer.c, `LVL_START`): a timer `delta` jiffies
/// away goes to the first level whose start it is below; level n has 8^n-jiffy buckets.
const LVL_START: [u64; 8] = [
    63,
    504,
    4032,
    32256,
    258_048,
    2_064_384,
    16_515_072,
    132_120_576,
];

/// `n` jiffies of a `hz` clock; with exact timers (`hz` = 0), of a 1,000 Hz one.
pub fn jiffies(hz: u32, n: u64) -> Duration {
    let hz = if hz == 0 { 1_000 } else { u64::from(hz) };
    Duration::from_nanos(n * 1_000_000_000 / hz)
}

/// When a timer armed at `now` for `delay` fires. With `hz` = 0, exactly then. Otherwise as
/// on Linux's timer wheel with `CONFIG_HZ` = `hz` (`calc_wheel_index`, `calc_index`): the
/// delay in whole jiffies, rounded up (`msecs_to_jiffies`), then the expiry rounded up past
/// its level's bucket — "the timer wheel has to guarantee that a timer does not fire early"
/// — so it fires on a tick, late by up to one jiffy below 63 jiffies, 8 below 504, 64 below
/// 4032, 512 below 32,256 (at 250 Hz: 4 ms, 32 ms, 256 ms and 2.048 s of slack for delays
/// up to 0.25 s, 2 s, 16 s and 2 min).
pub fn wheel_deadline(now: Time, delay: Duration, hz: u32) -> Time {
    if hz == 0 {
        return now + delay;
    }
    let tick = 1_000_000_000 / u64::from(hz);
    let delta = delay.as_nanos().div_ceil(tick);
    let expires = now.as_nanos() / tick + delta;
    let level = LVL_START
        .iter()
        .take_while(|&&start| delta >= start)
        .count() as u32;
    let shift = 3 * level;
    let bucket = ((expires >> shift) + 1) << shift;
    Time::from_nanos(bucket.saturating_mul(tick))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_the_earliest_and_expiry_disarms() {
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::TimeWait, Time::from_nanos(50));
        t.set(Timer::Retransmit, Time::from_nanos(20));
        assert_eq!(t.next(), Some(Time::from_nanos(20)));
        assert!(!t.take_expired(Timer::Retransmit, Time::from_nanos(19)));
        assert!(t.take_expired(Timer::Retransmit, Time::from_nanos(20)));
        assert!(!t.take_expired(Timer::Retransmit, Time::from_nanos(20)));
        assert_eq!(t.next(), Some(Time::from_nanos(50)));
        t.stop(Timer::TimeWait);
        assert_eq!(t.next(), None);
    }

    /// At 250 Hz (4 ms jiffies), from t = 10 ms (jiffy 2): 40 ms is 10 jiffies, level 0,
    /// firing at the next jiffy after 12: 52 ms. 1 s is 250 jiffies, level 1 (8-jiffy
    /// buckets): expiry 252 → bucket (252 / 8 + 1) · 8 = 256 jiffies = 1.024 s. 60 s is 15,000
    /// jiffies, level 3 (512): expiry 15,002 → 15,360 jiffies = 61.44 s. 0 Hz: exact.
    #[test]
    fn the_wheel_rounds_up_to_its_level() {
        let now = Time::from_nanos(10_000_000);
        let at = |ms: u64| wheel_deadline(now, Duration::from_millis(ms), 250).as_nanos();
        assert_eq!(at(40), 52_000_000);
        assert_eq!(at(1000), 1_024_000_000);
        assert_eq!(at(60_000), 61_440_000_000);
        let exact = wheel_deadline(now, Duration::from_millis(40), 0);
        assert_eq!(exact.as_nanos(), 50_000_000);
    }
}
