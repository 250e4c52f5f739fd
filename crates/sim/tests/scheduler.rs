//! Scheduler behaviour: time order, FIFO ties, cancellation, bounds, errors.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use proptest::prelude::*;
use synack_sim::{Duration, EventKey, ScheduleError, Scheduler, Time};

fn t(ns: u64) -> Time {
    Time::from_nanos(ns)
}

#[test]
fn pops_in_time_order_and_advances_the_clock() {
    let mut s = Scheduler::new();
    for (at, id) in [(30, 'c'), (10, 'a'), (20, 'b'), (1_000_000_000_000, 'd')] {
        s.schedule(t(at), id).unwrap();
    }
    let mut seen = Vec::new();
    while let Some((at, id)) = s.pop() {
        assert_eq!(s.now(), at);
        seen.push((at.as_nanos(), id));
    }
    assert_eq!(
        seen,
        vec![(10, 'a'), (20, 'b'), (30, 'c'), (1_000_000_000_000, 'd')]
    );
    assert_eq!(s.executed(), 4);
    assert!(s.is_empty());
}

#[test]
fn equal_times_run_in_scheduling_order() {
    let mut s = Scheduler::new();
    // Interleave two instants, scheduled from different "now"s, so that equal times are
    // inserted both before and after the bucket they share is redistributed.
    for i in 0..100u32 {
        s.schedule(t(500), i).unwrap();
        s.schedule(t(900), 1000 + i).unwrap();
    }
    s.schedule(t(100), 9999).unwrap();
    assert_eq!(s.pop(), Some((t(100), 9999)));
    for i in 100..200u32 {
        s.schedule(t(500), i).unwrap();
    }
    let order: Vec<u32> = std::iter::from_fn(|| s.pop().map(|(_, e)| e)).collect();
    let expected: Vec<u32> = (0..200).chain(1000..1100).collect();
    assert_eq!(order, expected);
}

#[test]
fn events_at_the_current_instant_are_allowed_and_come_after_earlier_ones() {
    let mut s = Scheduler::new();
    s.schedule(t(5), 1).unwrap();
    s.schedule(t(5), 2).unwrap();
    assert_eq!(s.pop(), Some((t(5), 1)));
    s.schedule(t(5), 3).unwrap();
    s.schedule_in(Duration::ZERO, 4);
    assert_eq!(s.pop(), Some((t(5), 2)));
    assert_eq!(s.pop(), Some((t(5), 3)));
    assert_eq!(s.pop(), Some((t(5), 4)));
}

#[test]
fn scheduling_into_the_past_is_an_error() {
    let mut s = Scheduler::new();
    s.schedule(t(100), ()).unwrap();
    s.pop();
    assert_eq!(
        s.schedule(t(99), ()),
        Err(ScheduleError {
            at: t(99),
            now: t(100)
        })
    );
    assert!(s.schedule_cancellable(t(50), ()).is_err());
    assert!(s.is_empty(), "a refused event is not stored");
    let msg = s.schedule(t(1), ()).unwrap_err().to_string();
    assert!(msg.contains("before the current time"), "{msg}");
}

#[test]
fn cancelled_events_never_run_and_stale_keys_are_harmless() {
    let mut s = Scheduler::new();
    let a = s.schedule_cancellable(t(10), 'a').unwrap();
    let b = s.schedule_cancellable(t(20), 'b').unwrap();
    s.schedule(t(30), 'c').unwrap();
    assert!(s.cancel(a));
    assert!(!s.cancel(a), "cancelling twice does nothing");
    assert_eq!(s.len(), 2);
    assert_eq!(s.pop(), Some((t(20), 'b')));
    assert!(!s.cancel(b), "an event that ran cannot be cancelled");
    // b's slot is reused by a new event; b's stale key must not cancel it.
    let d = s.schedule_cancellable(t(40), 'd').unwrap();
    assert_ne!(b, d);
    assert!(!s.cancel(b));
    assert_eq!(s.pop(), Some((t(30), 'c')));
    assert_eq!(s.pop(), Some((t(40), 'd')));
    assert_eq!(s.pop(), None);
}

#[test]
fn a_timer_reset_a_million_times_keeps_the_queue_bounded() {
    let mut s = Scheduler::new();
    let mut live = Vec::new();
    for i in 0..1000u64 {
        live.push(s.schedule_cancellable(t(1_000_000 + i), i).unwrap());
    }
    let mut key: EventKey = s.schedule_cancellable(t(2_000_000), 0).unwrap();
    let mut peak = 0;
    for i in 0..1_000_000u64 {
        assert!(s.cancel(key));
        key = s.schedule_cancellable(t(2_000_000 + i % 5000), i).unwrap();
        peak = peak.max(s.stored());
    }
    assert_eq!(s.len(), 1001);
    assert!(
        peak <= 2 * 1001 + 64,
        "stored entries grew to {peak} for 1001 live events"
    );
    // Still correct after all that compaction.
    let mut count = 0;
    let mut last = Time::ZERO;
    while let Some((at, _)) = s.pop() {
        assert!(at >= last);
        last = at;
        count += 1;
    }
    assert_eq!(count, 1001);
}

#[test]
fn run_until_stops_at_the_limit_and_leaves_later_events() {
    let mut s = Scheduler::new();
    for at in [10, 20, 30, 40] {
        s.schedule(t(at), at).unwrap();
    }
    let mut ran = Vec::new();
    s.run_until(t(25), |sched, now, e| {
        ran.push(e);
        if e == 10 {
            sched.schedule(now + Duration::from_nanos(5), 15).unwrap();
        }
    });
    assert_eq!(ran, vec![10, 15, 20]);
    assert_eq!(s.now(), t(25));
    assert_eq!(s.peek_time(), Some(t(30)));
    assert!(s.schedule(t(24), 0).is_err(), "the clock is at the limit");
    s.schedule(t(25), 25).unwrap();
    let mut rest = Vec::new();
    s.run(|_, _, e| rest.push(e));
    assert_eq!(rest, vec![25, 30, 40]);
}

#[derive(Debug, Clone)]
enum Op {
    Schedule { delay: u64, cancellable: bool },
    Cancel(usize),
    Pop,
    Peek,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (prop_oneof![Just(0u64), 0..8u64, 0..1_000u64, 0..u64::from(u32::MAX)], any::<bool>())
            .prop_map(|(delay, cancellable)| Op::Schedule { delay, cancellable }),
        1 => any::<usize>().prop_map(Op::Cancel),
        1 => Just(Op::Peek),
        3 => Just(Op::Pop),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The radix heap agrees with a binary heap ordered by (time, sequence number),
    /// under any interleaving of scheduling, cancellation and popping.
    #[test]
    fn agrees_with_a_reference_heap(ops in proptest::collection::vec(op(), 1..400)) {
        let mut s = Scheduler::new();
        let mut reference: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
        let mut cancelled = BTreeSet::new();
        let mut keys: Vec<(EventKey, u64)> = Vec::new();
        let mut seq = 0u64;
        let mut now = 0u64;
        for op in ops {
            match op {
                Op::Schedule { delay, cancellable } => {
                    let at = now + delay;
                    if cancellable {
                        keys.push((s.schedule_cancellable(t(at), seq).unwrap(), seq));
                    } else {
                        s.schedule(t(at), seq).unwrap();
                    }
                    reference.push(Reverse((at, seq)));
                    seq += 1;
                }
                Op::Cancel(i) if !keys.is_empty() => {
                    let (key, id) = keys[i % keys.len()];
                    let was_pending = reference.iter().any(|r| r.0 .1 == id) && !cancelled.contains(&id);
                    prop_assert_eq!(s.cancel(key), was_pending);
                    cancelled.insert(id);
                }
                Op::Cancel(_) => {}
                Op::Peek => {
                    let expected = reference.iter().filter(|r| !cancelled.contains(&r.0 .1)).map(|r| r.0 .0).min();
                    prop_assert_eq!(s.peek_time().map(Time::as_nanos), expected);
                }
                Op::Pop => {
                    let expected = loop {
                        match reference.pop() {
                            Some(Reverse((_, id))) if cancelled.contains(&id) => continue,
                            other => break other.map(|Reverse(x)| x),
                        }
                    };
                    let got = s.pop().map(|(at, id)| (at.as_nanos(), id));
                    prop_assert_eq!(got, expected);
                    if let Some((at, _)) = got { now = at; }
                }
            }
            let live = reference.iter().filter(|r| !cancelled.contains(&r.0 .1)).count();
            prop_assert_eq!(s.len(), live);
        }
    }
}

#[test]
fn scheduling_before_a_peeked_event_still_runs_first() {
    let mut s = Scheduler::new();
    s.schedule(t(1000), 'z').unwrap();
    s.schedule(t(1000), 'y').unwrap();
    assert_eq!(s.peek_time(), Some(t(1000)));
    s.schedule(t(3), 'a').unwrap();
    s.schedule(t(1000), 'x').unwrap();
    s.schedule(t(999), 'b').unwrap();
    let order: String = std::iter::from_fn(|| s.pop().map(|(_, e)| e)).collect();
    assert_eq!(order, "abzyx");
}
