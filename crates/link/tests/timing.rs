//! The deterministic stages, exactly: propagation delay, serialization at the bandwidth,
//! and the drop-tail queue.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use synack_link::{Channel, DropCause, Fate, LinkParams, LossModel};
use synack_sim::{Duration, Time};

fn channel(params: LinkParams) -> Channel {
    Channel::new(params, ChaCha8Rng::seed_from_u64(7)).expect("valid parameters")
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn at(t: Duration) -> Time {
    Time::ZERO + t
}

#[test]
fn without_jitter_the_delay_is_exact() {
    let mut link = channel(LinkParams {
        delay: ms(25),
        ..LinkParams::default()
    });
    for i in 0..1000 {
        let now = at(Duration::from_micros(37 * i));
        assert_eq!(link.transmit(now, 1500).fate, Fate::Deliver(now + ms(25)));
    }
}

#[test]
fn a_perfect_link_delivers_at_once() {
    let mut link = channel(LinkParams::default());
    let now = at(ms(3));
    let outcome = link.transmit(now, 40);
    assert_eq!(outcome.fate, Fate::Deliver(now));
    assert_eq!(outcome.arrivals().collect::<Vec<_>>(), vec![now]);
}

#[test]
fn a_burst_is_serialized_back_to_back() {
    // 1500 bytes at 10 Mbps: 12,000 bits, 1.2 ms each.
    let mut link = channel(LinkParams {
        delay: ms(10),
        bandwidth_bps: Some(10_000_000),
        ..LinkParams::default()
    });
    let start = at(ms(5));
    for i in 1..=50 {
        let arrival = link.transmit(start, 1500).fate.arrival().unwrap();
        assert_eq!(
            arrival,
            start + Duration::from_micros(1200 * i) + ms(10),
            "packet {i}"
        );
    }
    // The link is busy until 65 ms: a packet sent then starts at once...
    assert_eq!(
        link.transmit(at(ms(65)), 1500).fate,
        Fate::Deliver(at(ms(65) + Duration::from_micros(1200) + ms(10)))
    );
    // ...and after an idle spell, the clock restarts from the sending instant.
    assert_eq!(
        link.transmit(at(ms(500)), 1500).fate,
        Fate::Deliver(at(ms(500) + Duration::from_micros(1200) + ms(10)))
    );
}

#[test]
fn serialization_does_not_drift_when_a_packet_is_not_a_whole_number_of_ns() {
    // 1000 bytes at 3 Mbps: 8,000 bits, 2,666,666.67 ns each. Rounding each packet up would
    // gain a third of a nanosecond per packet; the link keeps the exact time instead.
    let mut link = channel(LinkParams {
        bandwidth_bps: Some(3_000_000),
        ..LinkParams::default()
    });
    for i in 1..=3000u64 {
        let arrival = link.transmit(Time::ZERO, 1000).fate.arrival().unwrap();
        let exact = (i * 8000 * 1_000_000_000).div_ceil(3_000_000);
        assert_eq!(arrival.as_nanos(), exact, "packet {i}");
    }
    // 3000 packets of 8000 bits at 3 Mbps: exactly 8 s.
    assert_eq!(
        link.transmit(at(Duration::from_secs(8)), 0).fate,
        Fate::Deliver(at(Duration::from_secs(8)))
    );
}

#[test]
fn a_saturating_stream_gets_exactly_the_bandwidth() {
    // Offer 20 Mbps (1500-byte packets every 0.6 ms) for 1 s to a 10 Mbps link with a
    // 50-packet queue: the link stays busy from the first packet on, so the bytes arriving
    // in the second are the bandwidth's worth, give or take the one packet on the wire.
    let bps = 10_000_000u64;
    let delay = ms(10);
    let mut link = channel(LinkParams {
        delay,
        bandwidth_bps: Some(bps),
        queue_packets: Some(50),
        ..LinkParams::default()
    });
    let mut arrived_bytes = 0u64;
    for i in 0..1667 {
        let now = at(Duration::from_micros(600 * i));
        if let Fate::Deliver(arrival) = link.transmit(now, 1500).fate {
            if arrival <= at(delay + Duration::from_secs(1)) {
                arrived_bytes += 1500;
            }
        }
    }
    let capacity = bps / 8;
    assert!(
        capacity - 1500 <= arrived_bytes && arrived_bytes <= capacity,
        "{arrived_bytes} bytes in a second through {capacity} bytes/s"
    );
    let stats = link.stats();
    assert_eq!(stats.dropped_loss, 0);
    assert_eq!(stats.sent, stats.delivered + stats.dropped_queue);
    // What got in is what left within the second (833 packets of 1.2 ms) plus the 50 still
    // queued at its end; the rest, nearly half the offered load, was dropped.
    assert_eq!(stats.delivered, 833 + 50, "{stats:?}");
}

#[test]
fn drop_tail_drops_exactly_what_does_not_fit() {
    // 1000 bytes at 1 Mbps: 8 ms each. Queue of 10, counting the packet on the wire.
    let (limit, extra) = (10, 3);
    let mut link = channel(LinkParams {
        bandwidth_bps: Some(1_000_000),
        queue_packets: Some(limit),
        ..LinkParams::default()
    });
    let fates: Vec<Fate> = (0..limit + extra)
        .map(|_| link.transmit(Time::ZERO, 1000).fate)
        .collect();
    for (i, fate) in fates.iter().enumerate() {
        if i < limit as usize {
            assert_eq!(
                *fate,
                Fate::Deliver(at(ms(8 * (i as u64 + 1)))),
                "packet {i}"
            );
        } else {
            assert_eq!(*fate, Fate::Drop(DropCause::QueueFull), "packet {i}");
        }
    }
    assert_eq!(link.stats().dropped_queue, u64::from(extra));

    // At 8 ms the first packet has just finished: one slot is free, and only one.
    assert_eq!(
        link.transmit(at(ms(8)), 1000).fate,
        Fate::Deliver(at(ms(88)))
    );
    assert_eq!(
        link.transmit(at(ms(8)), 1000).fate,
        Fate::Drop(DropCause::QueueFull)
    );

    // Once the queue has drained, a whole burst fits again.
    let drained = at(ms(88));
    for i in 1..=u64::from(limit) {
        assert_eq!(
            link.transmit(drained, 1000).fate,
            Fate::Deliver(drained + ms(8 * i))
        );
    }
    assert_eq!(
        link.transmit(drained, 1000).fate,
        Fate::Drop(DropCause::QueueFull)
    );
    assert_eq!(link.stats().dropped_queue, u64::from(extra) + 2);
}

#[test]
fn without_a_bandwidth_the_queue_never_fills() {
    let mut link = channel(LinkParams {
        queue_packets: Some(1),
        ..LinkParams::default()
    });
    for _ in 0..100 {
        assert_eq!(
            link.transmit(Time::ZERO, 1500).fate,
            Fate::Deliver(Time::ZERO)
        );
    }
}

#[test]
fn a_lost_packet_still_took_its_turn_on_the_wire() {
    // Half the packets of a burst are lost; those delivered keep the slot they would have
    // had with no loss, so each lost one used its 1.2 ms of the bandwidth.
    let mut link = channel(LinkParams {
        bandwidth_bps: Some(10_000_000),
        queue_packets: Some(1000),
        loss: LossModel::Bernoulli(0.5),
        ..LinkParams::default()
    });
    let mut lost = 0;
    for i in 1..=200u64 {
        match link.transmit(Time::ZERO, 1500).fate {
            Fate::Deliver(arrival) => assert_eq!(arrival, at(Duration::from_micros(1200 * i))),
            Fate::Drop(cause) => {
                assert_eq!(cause, DropCause::Loss);
                lost += 1;
            }
        }
    }
    assert!((50..150).contains(&lost), "{lost} of 200 lost at p = 0.5");
    // The lost packets held queue slots too: the queue is full until the first finishes.
    let mut full = channel(LinkParams {
        bandwidth_bps: Some(10_000_000),
        queue_packets: Some(2),
        loss: LossModel::Bernoulli(1.0),
        ..LinkParams::default()
    });
    assert_eq!(
        full.transmit(Time::ZERO, 1500).fate,
        Fate::Drop(DropCause::Loss)
    );
    assert_eq!(
        full.transmit(Time::ZERO, 1500).fate,
        Fate::Drop(DropCause::Loss)
    );
    assert_eq!(
        full.transmit(Time::ZERO, 1500).fate,
        Fate::Drop(DropCause::QueueFull)
    );
}
