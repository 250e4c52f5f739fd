//! Timers are data: one optional deadline per kind, the next wake-up is the earliest.
//!
//! The caller wakes the endpoint at [`TimerTable::next`]; the endpoint then runs each timer
//! whose deadline has passed. A wake-up with nothing due does nothing, so the caller may wake
//! it spuriously (or late) without harm.

use synack_sim::Time;

/// The endpoint's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// RFC 6298: retransmission of SYN, SYN-ACK, data and FIN.
    Retransmit,
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
    pub const ALL: [Timer; 5] = [
        Timer::Retransmit,
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
}
