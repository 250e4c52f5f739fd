//! A bulk transfer with periodic losses allocates nothing in the steady state: counted by a
//! global allocator, on this thread only (the test harness allocates on others).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::VecDeque;

use synack_sim::{Duration, Time};
use synack_tcp::config::Config;
use synack_tcp::{Connection, Segment, Seq};

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

/// Two endpoints, a wire of fixed delay (so arrivals stay in sending order), every 97th
/// data segment lost: fast retransmits, reassembly and delayed ACKs all run.
struct Loop {
    now: Time,
    client: Connection,
    server: Connection,
    /// (arrival, to the server?, segment)
    wire: VecDeque<(Time, bool, Segment)>,
    sent: u64,
}

const DELAY: Duration = Duration::from_millis(5);

impl Loop {
    fn new() -> Loop {
        let config = Config {
            recv_buffer: 64_000,
            ..Config::linux()
        };
        let mut client = Connection::connect(Time::ZERO, &config, 40000, 80, Seq(1));
        let syn = client.poll_transmit().unwrap();
        let server = Connection::accept(Time::ZERO, &config, 80, &syn, Seq(2)).unwrap();
        Loop {
            now: Time::ZERO,
            client,
            server,
            wire: VecDeque::with_capacity(1024),
            sent: 0,
        }
    }

    fn collect(&mut self) {
        while let Some(seg) = self.client.poll_transmit() {
            self.sent += 1;
            if seg.len == 0 || !self.sent.is_multiple_of(97) {
                self.wire.push_back((self.now + DELAY, true, seg));
            }
        }
        while let Some(seg) = self.server.poll_transmit() {
            self.wire.push_back((self.now + DELAY, false, seg));
        }
        while self.client.poll_event().is_some() {}
        while self.server.poll_event().is_some() {}
        let _ = self.client.send(self.now, u64::MAX);
    }

    fn step(&mut self) {
        self.collect();
        let timers = [self.client.poll_timeout(), self.server.poll_timeout()];
        let arrival = self.wire.front().map(|w| w.0);
        let next = timers.into_iter().chain([arrival]).flatten().min();
        self.now = next.expect("a bulk transfer never idles");
        if arrival == Some(self.now) {
            let (_, to_server, seg) = self.wire.pop_front().unwrap();
            if to_server {
                self.server.handle_segment(self.now, &seg);
            } else {
                self.client.handle_segment(self.now, &seg);
            }
        } else {
            self.client.handle_timeout(self.now);
            self.server.handle_timeout(self.now);
        }
    }
}

#[test]
fn steady_state_allocates_nothing() {
    let mut l = Loop::new();
    for _ in 0..50_000 {
        l.step();
    }
    let received = l.server.bytes_received();
    let before = allocations();
    for _ in 0..200_000 {
        l.step();
    }
    assert_eq!(allocations() - before, 0);
    assert!(l.server.bytes_received() > received + 50_000_000);
    assert!(l.client.stats().fast_retransmits > 100);
}
