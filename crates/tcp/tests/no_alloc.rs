//! A bulk transfer with periodic losses allocates nothing in the steady state, between two
//! connections (NewReno and CUBIC) and between two stacks; and a stream of short
//! connections between two stacks allocates nothing per connection: counted by a global
//! allocator, on this thread only (the test harness allocates on others).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::VecDeque;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, Time};
use synack_tcp::config::{Config, Congestion};
use synack_tcp::{
    Accept, ConnId, Connection, Event, Incoming, IsnGenerator, ListenerId, Segment, Seq, Settled,
    Stack, TimeWaitId, TimeWaitTimeout,
};

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
    fn new(congestion: Congestion) -> Loop {
        let config = Config {
            recv_buffer: 64_000,
            congestion,
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
    for congestion in [Congestion::NewReno, Congestion::Cubic] {
        steady_state(congestion);
    }
}

fn steady_state(congestion: Congestion) {
    let mut l = Loop::new(congestion);
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

/// The same bulk transfer between two hosts' [`Stack`]s: demultiplexing, draining and
/// settling allocate nothing per segment either.
struct StackLoop {
    now: Time,
    hosts: [Stack<u32, u32>; 2],
    /// The client's connection, and the server's once opened.
    conns: [Option<ConnId>; 2],
    timeouts: [Option<Time>; 2],
    /// (arrival, to host, segment); host 0 is the client at address 0, host 1 the server.
    wire: VecDeque<(Time, usize, Segment)>,
    sent: u64,
}

impl StackLoop {
    fn new() -> StackLoop {
        let config = Config {
            recv_buffer: 64_000,
            ..Config::linux()
        };
        let stack = |addr: u32| {
            let isn = IsnGenerator::new(config.isn, ChaCha8Rng::seed_from_u64(u64::from(addr)));
            Stack::new(addr, config.clone(), isn)
        };
        let mut hosts = [stack(0), stack(1)];
        hosts[1]
            .listen(80, &mut ChaCha8Rng::seed_from_u64(9))
            .unwrap();
        let c = hosts[0].connect(Time::ZERO, 1, 80, 7).unwrap();
        let mut l = StackLoop {
            now: Time::ZERO,
            hosts,
            conns: [Some(c), None],
            timeouts: [None, None],
            wire: VecDeque::with_capacity(1024),
            sent: 0,
        };
        l.drain(0);
        l
    }

    /// Host `h`'s connection: its events, its segments (every 97th data segment of the
    /// client lost), then settled.
    fn drain(&mut self, h: usize) {
        let Some(id) = self.conns[h] else { return };
        let stack = &mut self.hosts[h];
        while let Some(t) = stack.poll_transmit() {
            self.wire
                .push_back((self.now + DELAY, t.to as usize, t.seg));
        }
        loop {
            while stack.poll_conn_event(id).is_some() {}
            let Some(t) = stack.poll_conn_transmit(id) else {
                break;
            };
            self.sent += u64::from(h == 0);
            if h == 1 || t.seg.len == 0 || !self.sent.is_multiple_of(97) {
                self.wire
                    .push_back((self.now + DELAY, t.to as usize, t.seg));
            }
        }
        match stack.settle(id) {
            Settled::Open { timeout } => self.timeouts[h] = timeout,
            other => panic!("a bulk transfer never ends: {other:?}"),
        }
        if h == 0 {
            let _ = stack.connection_mut(id).send(self.now, u64::MAX);
        }
    }

    fn step(&mut self) {
        let arrival = self.wire.front().map(|w| w.0);
        let next = self.timeouts.into_iter().chain([arrival]).flatten().min();
        self.now = next.expect("a bulk transfer never idles");
        if arrival == Some(self.now) {
            let (_, to, seg) = self.wire.pop_front().unwrap();
            let from = (1 - to) as u32;
            match self.hosts[to].handle_segment(self.now, from, &seg) {
                Incoming::Conn { id, .. } | Incoming::Opened { id, .. } => {
                    self.conns[to] = Some(id)
                }
                other => panic!("{other:?}"),
            }
            self.drain(to);
        } else {
            for h in 0..2 {
                if let Some(id) = self.conns[h] {
                    self.hosts[h].handle_conn_timeout(self.now, id);
                    self.drain(h);
                }
            }
        }
    }
}

#[test]
fn steady_state_through_stacks_allocates_nothing() {
    let mut l = StackLoop::new();
    for _ in 0..50_000 {
        l.step();
    }
    let server = l.conns[1].unwrap();
    let received = l.hosts[1].connection(server).bytes_received();
    let before = allocations();
    for _ in 0..200_000 {
        l.step();
    }
    assert_eq!(allocations() - before, 0);
    let conn = l.hosts[1].connection(server);
    assert!(conn.bytes_received() > received + 50_000_000);
    let client = l.hosts[0].connection(l.conns[0].unwrap());
    assert!(client.stats().fast_retransmits > 100);
}

/// Short connections through two stacks, one opened every millisecond: the client sends 100
/// bytes and closes at once, the server accepts, answers the FIN with 100 bytes and its own
/// FIN, and the client's socket spends 2·MSL in TIME-WAIT. Every structure of the driver
/// is reserved up front, so whatever allocates is the stacks'.
struct Churn {
    now: Time,
    hosts: [Stack<u32, u32>; 2],
    listener: ListenerId,
    /// (arrival, to host, segment), in arrival order (one fixed delay).
    wire: VecDeque<(Time, usize, Segment)>,
    /// Each live connection's timeout: (host, connection, when).
    timeouts: Vec<(usize, ConnId, Time)>,
    /// Each TIME-WAIT socket's deadline.
    time_waits: Vec<(usize, TimeWaitId, Time)>,
    next_connect: Time,
    /// Connections ended, in each host.
    ended: [u64; 2],
}

const GAP: Duration = Duration::from_millis(1);

impl Churn {
    fn new() -> Churn {
        let config = Config {
            msl: Duration::from_millis(10),
            ..Config::linux()
        };
        let stack = |addr: u32| {
            let isn = IsnGenerator::new(config.isn, ChaCha8Rng::seed_from_u64(u64::from(addr)));
            Stack::new(addr, config.clone(), isn)
        };
        let mut hosts = [stack(0), stack(1)];
        let listener = hosts[1]
            .listen(80, &mut ChaCha8Rng::seed_from_u64(9))
            .unwrap();
        Churn {
            now: Time::ZERO,
            hosts,
            listener,
            wire: VecDeque::with_capacity(1024),
            timeouts: Vec::with_capacity(1024),
            time_waits: Vec::with_capacity(1024),
            next_connect: Time::ZERO,
            ended: [0, 0],
        }
    }

    /// Host `h`'s segments on the wire; then connection `id`'s events, segments and
    /// settling.
    fn drain(&mut self, h: usize, id: Option<ConnId>) {
        if h == 1 {
            while let Accept::Conn(_) | Accept::Ended = self.hosts[1].accept(self.listener) {}
        }
        if let Some(id) = id {
            let now = self.now;
            let stack = &mut self.hosts[h];
            while let Some(event) = stack.poll_conn_event(id) {
                let reply = match event {
                    Event::Connected => h == 0,
                    Event::PeerFin => h == 1,
                    _ => false,
                };
                if reply {
                    let c = stack.connection_mut(id);
                    c.send(now, 100).unwrap();
                    c.close(now).unwrap();
                }
            }
            while let Some(t) = stack.poll_conn_transmit(id) {
                self.wire.push_back((now + DELAY, t.to as usize, t.seg));
            }
            self.timeouts.retain(|&(host, c, _)| (host, c) != (h, id));
            match stack.settle(id) {
                Settled::Open { timeout } => {
                    if let Some(at) = timeout {
                        self.timeouts.push((h, id, at));
                    }
                }
                Settled::TimeWait { id, deadline } => self.time_waits.push((h, id, deadline)),
                Settled::Closed { .. } => self.ended[h] += 1,
                Settled::TimeWaitOverflow { .. } => panic!("no TIME-WAIT limit"),
            }
        }
        while let Some(t) = self.hosts[h].poll_transmit() {
            self.wire
                .push_back((self.now + DELAY, t.to as usize, t.seg));
        }
    }

    fn step(&mut self) {
        let arrival = self.wire.front().map(|w| w.0);
        let timeout = self.timeouts.iter().map(|t| t.2).min();
        let time_wait = self.time_waits.iter().map(|t| t.2).min();
        let next = [arrival, timeout, time_wait, Some(self.next_connect)]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        self.now = next;
        if arrival == Some(next) {
            let (_, to, seg) = self.wire.pop_front().unwrap();
            let id = match self.hosts[to].handle_segment(next, (1 - to) as u32, &seg) {
                Incoming::Conn { id, .. } | Incoming::Opened { id, .. } => Some(id),
                Incoming::TimeWait { .. } => None,
                other => panic!("{other:?}"),
            };
            self.drain(to, id);
        } else if timeout == Some(next) {
            let i = self.timeouts.iter().position(|t| t.2 == next).unwrap();
            let (h, id, _) = self.timeouts.swap_remove(i);
            self.hosts[h].handle_conn_timeout(next, id);
            self.drain(h, Some(id));
        } else if time_wait == Some(next) {
            let i = self.time_waits.iter().position(|t| t.2 == next).unwrap();
            let (h, id, _) = self.time_waits.swap_remove(i);
            match self.hosts[h].handle_time_wait_timeout(next, id) {
                TimeWaitTimeout::Expired { .. } => self.ended[h] += 1,
                TimeWaitTimeout::Later(at) => self.time_waits.push((h, id, at)),
            }
        } else {
            let id = self.hosts[0].connect(next, 1, 80, 0).unwrap();
            self.next_connect = next + GAP;
            self.drain(0, Some(id));
        }
    }

    /// Steps until `n` more connections have ended on both sides.
    fn run(&mut self, n: u64) {
        let target = self.ended.map(|e| e + n);
        while self.ended[0] < target[0] || self.ended[1] < target[1] {
            self.step();
        }
    }
}

#[test]
fn connection_churn_allocates_nothing_per_connection() {
    let mut l = Churn::new();
    // Long enough for every table to reach its size: TIME-WAIT holds 20 sockets at a time.
    l.run(500);
    let before = allocations();
    l.run(5_000);
    assert_eq!(allocations() - before, 0);
    // Every connection went the whole way: the client's through TIME-WAIT.
    assert!(
        l.time_waits.len() >= 15,
        "{} in TIME-WAIT",
        l.time_waits.len()
    );
}
