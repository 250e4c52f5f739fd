//! `transmit` allocates nothing: counted by a global allocator, on this thread only (the
//! test harness allocates on others).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use synack_link::{Aqm, Channel, CoDel, LinkParams, LossModel, Red, Reorder, Stale};
use synack_sim::{Duration, Time};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: defers every call to the system allocator; the counter is a const-initialised
// thread-local Cell, which neither allocates nor needs a destructor.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract, passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn transmit_allocates_nothing() {
    let params = |queue_packets| LinkParams {
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(3),
        bandwidth_bps: Some(10_000_000),
        queue_packets,
        queue_bytes: None,
        aqm: Aqm::None,
        loss: LossModel::GilbertElliott {
            p: 0.02,
            r: 0.3,
            k: 0.99,
            h: 0.2,
        },
        duplicate: 0.05,
        reorder: Some(Reorder {
            probability: 0.05,
            delay: Duration::from_millis(4),
        }),
        stale: Some(Stale {
            probability: 0.05,
            max_age: Duration::from_secs(30),
        }),
    };
    // A bounded queue, and an unbounded one (which keeps no ring at all).
    for queue in [Some(100), None] {
        let mut link = Channel::new(params(queue), ChaCha8Rng::seed_from_u64(1)).unwrap();
        // Offered at twice the bandwidth, so the bounded queue fills and overflows. While it
        // first fills, its ring doubles (4, 8, …, 128 slots: six allocations), and then
        // never again.
        let before = allocations();
        for i in 0..2_000u64 {
            link.transmit(Time::ZERO + Duration::from_micros(600 * i), 1500);
        }
        let growth = allocations() - before;
        assert!(
            growth <= 6,
            "queue {queue:?}: {growth} allocations while filling"
        );
        let before = allocations();
        for i in 2_000..20_000u64 {
            let now = Time::ZERO + Duration::from_micros(600 * i);
            link.transmit(now, 1500);
        }
        assert_eq!(allocations() - before, 0, "queue {queue:?}");
        assert!(queue.is_none() || link.stats().dropped_queue > 0);
    }
}

#[test]
fn queue_disciplines_allocate_nothing() {
    let red = Aqm::Red(Red {
        min_th: 5.0,
        max_th: 15.0,
        max_p: 0.1,
        weight: 0.002,
        gentle: true,
        avpkt: 1000,
        bytes: false,
        ecn: false,
    });
    let codel = Aqm::CoDel(CoDel {
        target: Duration::from_millis(5),
        interval: Duration::from_millis(100),
        ecn: false,
    });
    for (aqm, queue_packets, queue_bytes) in [
        (red, Some(100), None),
        (codel, Some(1000), None),
        (codel, None, Some(150_000)),
        (Aqm::None, None, Some(150_000)),
    ] {
        let mut link = Channel::new(
            LinkParams {
                bandwidth_bps: Some(10_000_000),
                queue_packets,
                queue_bytes,
                aqm,
                ..LinkParams::default()
            },
            ChaCha8Rng::seed_from_u64(1),
        )
        .unwrap();
        // Fill once (a queue may grow its ring while it first fills), then measure.
        for i in 0..2_000u64 {
            link.transmit(Time::ZERO + Duration::from_micros(600 * i), 1500);
        }
        let before = allocations();
        for i in 2_000..40_000u64 {
            let now = Time::ZERO + Duration::from_micros(600 * i);
            link.transmit(now, 1500);
        }
        assert_eq!(allocations() - before, 0, "{aqm:?}");
        assert!(link.stats().dropped() > 0);
    }
}
