//! Queue disciplines driven directly: byte limits, RED's drop probability against its
//! average queue, CoDel's standing delay under overload.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use synack_link::{red_pa, Aqm, Channel, CoDel, DropCause, Fate, LinkParams, Red};
use synack_sim::{Duration, Time};

fn link(params: LinkParams) -> Channel {
    Channel::new(params, ChaCha8Rng::seed_from_u64(7)).unwrap()
}

/// 8 Mbps: a byte a microsecond, so a 1,000-byte packet takes exactly 1 ms.
const BPS: u64 = 8_000_000;

/// Floyd's parameters ("RED: Discussions of Setting Parameters", 1997, with ns-2's
/// `thresh_ 5`), in packets, without ECN: what the tests vary from.
const FLOYD: Red = Red {
    min_th: 5.0,
    max_th: 15.0,
    max_p: 0.1,
    weight: 0.002,
    gentle: false,
    avpkt: 1000,
    bytes: false,
    ecn: false,
};

/// RFC 8289's CoDel (target 5 ms, interval 100 ms), without ECN.
const RFC8289: CoDel = CoDel {
    target: Duration::from_millis(5),
    interval: Duration::from_millis(100),
    ecn: false,
};

fn at_us(us: u64) -> Time {
    Time::ZERO + Duration::from_micros(us)
}

#[test]
fn byte_limit_is_exact() {
    let mut l = link(LinkParams {
        bandwidth_bps: Some(BPS),
        queue_bytes: Some(4000),
        ..LinkParams::default()
    });
    let t0 = Time::ZERO;
    let fates: Vec<bool> = [1500, 1500, 1001, 1000, 1, 40]
        .iter()
        .map(|&b| l.transmit(t0, b).fate.arrival().is_some())
        .collect();
    // 1500 + 1500 = 3000; 1001 would make 4001; 1000 makes exactly 4000; nothing more fits.
    assert_eq!(fates, [true, true, false, true, false, false]);
    assert_eq!(l.queue_len(t0), 3);
    // The first packet leaves the queue at 1.5 ms: 1,500 bytes free up, to the byte.
    assert!(l.transmit(at_us(1499), 1500).fate.arrival().is_none());
    assert!(l.transmit(at_us(1500), 1500).fate.arrival().is_some());
    assert!(l.transmit(at_us(1500), 1).fate.arrival().is_none());
    let s = l.stats();
    assert_eq!((s.dropped_queue, s.dropped_aqm), (5, 0));
}

#[test]
fn byte_and_packet_limits_apply_together() {
    let mut l = link(LinkParams {
        bandwidth_bps: Some(BPS),
        queue_packets: Some(3),
        queue_bytes: Some(100_000),
        ..LinkParams::default()
    });
    let admitted = (0..5)
        .filter(|_| l.transmit(Time::ZERO, 40).fate.arrival().is_some())
        .count();
    assert_eq!(admitted, 3);
}

/// A load that swings slowly between 0.7 and 1.6 times the link rate, so that RED's average
/// sweeps its whole range, with a limit high enough that nothing is forced out.
fn red_run(red: Red, packets: u64) -> Vec<(f64, bool)> {
    red_run_sized(red, packets, 1000)
}

/// [`red_run`] with packets of `size` bytes (the same spacing).
fn red_run_sized(red: Red, packets: u64, size: u32) -> Vec<(f64, bool)> {
    let mut l = link(LinkParams {
        bandwidth_bps: Some(BPS),
        queue_packets: Some(10_000),
        aqm: Aqm::Red(red),
        ..LinkParams::default()
    });
    let mut t = 0.0f64;
    let mut out = Vec::with_capacity(packets as usize);
    for i in 0..packets {
        let phase = (i as f64 / 20_000.0) * std::f64::consts::TAU;
        let load = 1.15 + 0.45 * phase.sin();
        t += 1_000.0 / load; // microseconds between 1,000-byte packets
        let o = l.transmit(Time::ZERO + Duration::from_nanos((t * 1e3) as u64), size);
        let avg = l.red_average().unwrap();
        assert_ne!(o.fate, Fate::Drop(DropCause::QueueFull), "no forced drop");
        out.push((avg, o.fate == Fate::Drop(DropCause::Aqm)));
    }
    out
}

/// RED's early drops follow its line: in each bin of the average queue, the drops counted
/// match the sum of p_a = p_b / (1 − count·p_b) over the bin's packets (count tracked as
/// Figure 2 of the paper defines it) within four standard deviations, and the drop fraction
/// is near 2·p_b / (1 + p_b), the rate of drops spaced uniformly over [1, 1/p_b] packets.
/// Nothing is dropped below `min_th`, everything at or above `max_th`.
#[test]
fn red_drop_probability_follows_its_line() {
    let red = FLOYD;
    let run = red_run(red, 400_000);
    let pb = |avg: f64| red.max_p * (avg - red.min_th) / (red.max_th - red.min_th);
    // Bins one packet wide over [min_th, max_th): (packets, drops, expected drops, variance,
    // sum of p_b).
    let mut bins = [(0u64, 0u64, 0.0f64, 0.0f64, 0.0f64); 10];
    let (mut below, mut below_dropped, mut above, mut above_dropped) = (0, 0, 0, 0);
    let mut count: i64 = -1;
    for &(avg, dropped) in &run {
        if avg < red.min_th {
            below += 1;
            below_dropped += u64::from(dropped);
            count = -1;
        } else if avg >= red.max_th {
            above += 1;
            above_dropped += u64::from(dropped);
            count = 0;
        } else {
            count += 1;
            let p = red_pa(pb(avg), count);
            let bin = &mut bins[(avg - red.min_th) as usize];
            bin.0 += 1;
            bin.1 += u64::from(dropped);
            bin.2 += p;
            bin.3 += p * (1.0 - p);
            bin.4 += pb(avg);
            if dropped {
                count = 0;
            }
        }
    }
    assert_eq!(below_dropped, 0);
    assert!(
        below > 10_000,
        "the load leaves the average below min_th: {below}"
    );
    assert_eq!(above_dropped, above);
    let mut checked = 0;
    for (i, &(n, drops, expected, var, pb_sum)) in bins.iter().enumerate() {
        if n < 2_000 {
            continue;
        }
        checked += 1;
        let sd = var.sqrt();
        assert!(
            (drops as f64 - expected).abs() <= 4.0 * sd + 1.0,
            "bin {i}: {drops} drops of {n} packets, expected {expected:.1} ± {sd:.1}"
        );
        let pb_mean = pb_sum / n as f64;
        let uniform = 2.0 * pb_mean / (1.0 + pb_mean);
        let fraction = drops as f64 / n as f64;
        assert!(
            (fraction - uniform).abs() <= 0.25 * uniform + 0.002,
            "bin {i}: drop fraction {fraction:.4}, uniform spacing predicts {uniform:.4}"
        );
    }
    assert!(checked >= 6, "the average visited only {checked} bins");
}

/// The gentle variant: between max_th and 2·max_th some packets pass.
#[test]
fn gentle_red_passes_some_packets_above_max_th() {
    let red = Red {
        gentle: true,
        ..FLOYD
    };
    let run = red_run(red, 200_000);
    let gentle: Vec<bool> = run
        .iter()
        .filter(|(avg, _)| (15.0..30.0).contains(avg))
        .map(|&(_, d)| d)
        .collect();
    assert!(
        gentle.len() > 1000,
        "{} packets in the gentle range",
        gentle.len()
    );
    let passed = gentle.iter().filter(|&&d| !d).count();
    assert!(passed > 0 && passed < gentle.len());
}

/// After an idle period the average decays as (1 − w_q)^m, m the packets that could have
/// been sent meanwhile.
#[test]
fn red_average_decays_while_idle() {
    let red = Red {
        min_th: 50.0,
        max_th: 150.0,
        weight: 0.1,
        ..FLOYD
    };
    let mut l = link(LinkParams {
        bandwidth_bps: Some(BPS),
        queue_packets: Some(1000),
        aqm: Aqm::Red(red),
        ..LinkParams::default()
    });
    for _ in 0..40 {
        l.transmit(Time::ZERO, 1000);
    }
    let avg = l.red_average().unwrap();
    // The queue empties at 40 ms; 100 ms later, m = 100 packet times have passed.
    l.transmit(at_us(140_000), 1000);
    let decayed = l.red_average().unwrap();
    let expected = avg * 0.9f64.powi(100);
    assert!((decayed - expected).abs() < 1e-9, "{decayed} vs {expected}");
}

/// CoDel drops nothing while the queue stays below target, however long.
#[test]
fn codel_leaves_a_short_queue_alone() {
    let mut l = link(LinkParams {
        bandwidth_bps: Some(BPS),
        queue_packets: Some(1000),
        aqm: Aqm::CoDel(RFC8289),
        ..LinkParams::default()
    });
    // Bursts of 4 packets every 5 ms: a wait of at most 3 ms, at 80 % load.
    for burst in 0..10_000u64 {
        for _ in 0..4 {
            l.transmit(at_us(5_000 * burst), 1000);
        }
    }
    assert_eq!(l.stats().dropped_aqm, 0);
}

/// The control law: in an overload that never relents, the gaps between CoDel's drops in
/// one dropping state shrink as interval / sqrt(count).
#[test]
fn codel_drop_gaps_follow_the_control_law() {
    let mut l = link(LinkParams {
        bandwidth_bps: Some(BPS),
        queue_packets: Some(100_000),
        aqm: Aqm::CoDel(RFC8289),
        ..LinkParams::default()
    });
    // Twice the link's rate: the queue grows whatever CoDel drops at first.
    let mut drops = Vec::new();
    for i in 0..4_000u64 {
        let o = l.transmit(at_us(500 * i), 1000);
        if o.fate == Fate::Drop(DropCause::Aqm) {
            // The dequeue instant of a dropped packet: its wait is not reported, so
            // reconstruct it from the link, which moves on at once.
            drops.push(l.queue_wait(at_us(500 * i)) + Duration::from_micros(500 * i));
        }
    }
    assert!(drops.len() > 10);
    // The k-th gap follows the k-th drop, made with count = k: interval / sqrt(k).
    for k in 1..10 {
        let gap = (drops[k] - drops[k - 1]).as_secs_f64() * 1e3;
        let law = 100.0 / (k as f64).sqrt();
        // Drops happen at packet dequeues, 1 ms apart: each drop is its scheduled instant
        // rounded up to the next dequeue, so a gap is the law's within a millisecond.
        assert!(
            (gap - law).abs() < 1.0 + 1e-6,
            "gap {k}: {gap} ms, control law {law} ms"
        );
    }
}

/// ECN (RFC 3168 §5): with `ecn` on, RED and CoDel mark ECN-capable packets where they would
/// drop them, and still drop the others; a full queue drops ECN-capable packets too. Twice
/// the link's rate for 4 s into a 200-packet queue.
#[test]
fn ecn_queues_mark_ect_packets_instead_of_dropping_them() {
    let red = Aqm::Red(Red { ecn: true, ..FLOYD });
    let codel = Aqm::CoDel(CoDel {
        ecn: true,
        ..RFC8289
    });
    for aqm in [red, codel] {
        let overload = |ect: bool| {
            let mut l = link(LinkParams {
                bandwidth_bps: Some(BPS),
                queue_packets: Some(200),
                aqm,
                ..LinkParams::default()
            });
            let mut marked = 0;
            for i in 0..8_000u64 {
                let o = l.transmit_ecn(at_us(500 * i), 1000, ect);
                if o.marked {
                    assert!(o.fate.arrival().is_some(), "a marked packet is delivered");
                    marked += 1;
                }
            }
            assert_eq!(marked, l.stats().ecn_marked);
            l.stats().clone()
        };
        let ect = overload(true);
        let not_ect = overload(false);
        assert!(ect.ecn_marked > 100, "{aqm:?}: {ect:?}");
        assert_eq!(ect.dropped_aqm, 0, "{aqm:?}");
        // Marks do not shorten the queue: the overload fills it, and it drops when full.
        assert!(ect.dropped_queue > 1000, "{aqm:?}: {ect:?}");
        assert_eq!(not_ect.ecn_marked, 0, "{aqm:?}");
        assert!(not_ect.dropped_aqm > 100, "{aqm:?}: {not_ect:?}");
    }
}

/// RED in bytes (tc-red's units: `min`, `max` and the average count the byte backlog) is RED
/// in packets scaled by the packet size when every packet has that size: with 1,024-byte
/// packets and thresholds of 5 and 15 packets, or 5,120 and 15,360 bytes, each packet meets
/// the same fate, and the byte average is exactly 1,024 times the packet average (a power of
/// two scales every step of the average exactly).
#[test]
fn red_in_bytes_is_red_in_packets_scaled_by_the_packet_size() {
    let packets = Red {
        gentle: true,
        avpkt: 1024,
        ..FLOYD
    };
    let bytes = Red {
        min_th: 5.0 * 1024.0,
        max_th: 15.0 * 1024.0,
        bytes: true,
        ..packets
    };
    let (a, b) = (
        red_run_sized(packets, 100_000, 1024),
        red_run_sized(bytes, 100_000, 1024),
    );
    assert!(
        a.iter().filter(|x| x.1).count() > 1_000,
        "RED dropped early"
    );
    for (i, (p, q)) in a.iter().zip(&b).enumerate() {
        assert_eq!(p.1, q.1, "packet {i}: the same fate");
        assert_eq!(p.0 * 1024.0, q.0, "packet {i}: the average scaled");
    }
}
