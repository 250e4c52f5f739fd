//! A two-host harness: a client host's [`Stack`] and a server host's, joined by a wire with a
//! fixed one-way delay, driven as a simulator drives them. `step()` jumps to the earliest
//! deadline (a segment's arrival, a connection's timer or a TIME-WAIT socket's) and handles
//! one thing due there; after every input the stack's own answers and events are drained,
//! then the connection's (events first, then one segment, until both are empty), then the
//! connection is settled and its timer re-armed from what `settle` says.
//!
//! Every connection gets a tag of its own, counting from 1 in the order the harness met it
//! (its connect, or the `Opened` of its listener). Everything a host reports is kept in
//! `records`; every segment sent, in `log`.

use std::fmt::Write;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, Time};
use synack_tcp::config::Config;
use synack_tcp::{
    ConnId, ConnectError, Connection, Event, Incoming, IsnGenerator, ListenerId, Segment, Settled,
    Stack, StackEvent, TimeWaitId, TimeWaitTimeout, Transmit,
};

use super::secs;

/// The hosts' addresses.
pub const CLIENT: u32 = 1;
pub const SERVER: u32 = 2;
/// The port the server listens on.
pub const PORT: u16 = 80;

pub type Tag = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    Client,
    Server,
}

impl Host {
    pub fn addr(self) -> u32 {
        match self {
            Host::Client => CLIENT,
            Host::Server => SERVER,
        }
    }
    fn at(addr: u32) -> Option<Host> {
        match addr {
            CLIENT => Some(Host::Client),
            SERVER => Some(Host::Server),
            _ => None,
        }
    }
}

/// What a host reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    Incoming(Incoming<Tag>),
    Stack(StackEvent<Tag>),
    Conn(ConnId, Event),
    Settled(ConnId, Settled<Tag>),
    TimeWait(TimeWaitId, TimeWaitTimeout<Tag>),
}

/// One segment sent: when, from and to which address, what, and when it arrived (never, if
/// dropped or sent to an address no host has).
#[derive(Clone, Debug)]
pub struct Line {
    pub sent: Time,
    pub arrived: Option<Time>,
    pub from: u32,
    pub to: u32,
    pub seg: Segment,
}

struct Flight {
    at: Time,
    order: u64,
    line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wake {
    Conn(ConnId),
    TimeWait(TimeWaitId),
}

type Matcher = Box<dyn Fn(&Segment) -> bool>;

pub struct Hosts {
    pub now: Time,
    pub delay: Duration,
    pub client: Stack<u32, Tag>,
    pub server: Stack<u32, Tag>,
    /// The server's listener on [`PORT`], if it listens.
    pub listener: Option<ListenerId>,
    pub log: Vec<Line>,
    pub records: Vec<(Time, Host, Record)>,
    wire: Vec<Flight>,
    order: u64,
    /// Drop the next segment from this host that matches.
    drops: Vec<(Host, Matcher)>,
    /// One pending wake-up per socket, in the order first armed.
    timers: Vec<(Host, Wake, Time)>,
    next_tag: Tag,
}

/// A stack whose ISNs come from a generator seeded with `seed`.
pub fn stack(addr: u32, config: &Config, seed: u64) -> Stack<u32, Tag> {
    let isn = IsnGenerator::new(config.isn, ChaCha8Rng::seed_from_u64(seed));
    Stack::new(addr, config.clone(), isn)
}

impl Hosts {
    /// Two hosts `delay` apart; the server listens on [`PORT`] (cookie secret seeded with 99)
    /// if `listen`. ISN generators are seeded with 1 (client) and 2 (server).
    pub fn new(client: &Config, server: &Config, delay: Duration, listen: bool) -> Hosts {
        let mut server = stack(SERVER, server, 2);
        let listener = listen.then(|| {
            server
                .listen(PORT, &mut ChaCha8Rng::seed_from_u64(99))
                .unwrap()
        });
        Hosts {
            now: Time::ZERO,
            delay,
            client: stack(CLIENT, client, 1),
            server,
            listener,
            log: Vec::new(),
            records: Vec::new(),
            wire: Vec::new(),
            order: 0,
            drops: Vec::new(),
            timers: Vec::new(),
            next_tag: 1,
        }
    }

    pub fn stack(&mut self, h: Host) -> &mut Stack<u32, Tag> {
        match h {
            Host::Client => &mut self.client,
            Host::Server => &mut self.server,
        }
    }

    /// The client connects to the server's `port` now.
    pub fn connect(&mut self, port: u16) -> Result<ConnId, ConnectError> {
        let (now, tag) = (self.now, self.next_tag);
        let id = self.client.connect(now, SERVER, port, tag)?;
        self.next_tag += 1;
        // A TIME-WAIT socket whose port the connect took over (`tw_reuse`) ended.
        self.drain_stack(Host::Client);
        self.pump(Host::Client, id);
        Ok(id)
    }

    /// The application of host `h` acts on connection `id` now (send, close, abort).
    pub fn app(&mut self, h: Host, id: ConnId, f: impl FnOnce(&mut Connection, Time)) {
        let now = self.now;
        f(self.stack(h).connection_mut(id), now);
        self.pump(h, id);
    }

    /// The server closes listener `l` now; the connections it aborts send their RSTs.
    pub fn close_listener(&mut self, l: ListenerId) -> Vec<ConnId> {
        let now = self.now;
        let left = self.server.close_listener(now, l);
        for &id in &left {
            self.pump(Host::Server, id);
        }
        left
    }

    /// Puts a hand-made segment from address `from` on the wire to host `to` now.
    pub fn inject(&mut self, from: u32, to: Host, seg: Segment) {
        self.send(from, to.addr(), seg);
    }

    /// Drops the next segment host `from` sends that `matches`.
    pub fn drop_next(&mut self, from: Host, matches: impl Fn(&Segment) -> bool + 'static) {
        self.drops.push((from, Box::new(matches)));
    }

    /// The earliest pending deadline: an arrival or a timer.
    pub fn next_deadline(&self) -> Option<Time> {
        let wire = self.wire.iter().map(|f| f.at);
        let timers = self.timers.iter().map(|t| t.2);
        wire.chain(timers).min()
    }

    /// Jumps to the earliest deadline and handles one thing due there: the earliest-sent
    /// arrival, else the earliest-armed timer. Returns false when idle.
    pub fn step(&mut self) -> bool {
        let Some(at) = self.next_deadline() else {
            return false;
        };
        self.now = at;
        let arrival = (0..self.wire.len())
            .filter(|&i| self.wire[i].at == at)
            .min_by_key(|&i| self.wire[i].order);
        if let Some(i) = arrival {
            let f = self.wire.remove(i);
            self.deliver(f.line);
        } else {
            let i = self.timers.iter().position(|t| t.2 == at).expect("due");
            let (h, wake, _) = self.timers.remove(i);
            self.wake(h, wake);
        }
        true
    }

    /// Steps while the next deadline is at or before `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: Time) {
        while self.next_deadline().is_some_and(|d| d <= t) {
            self.step();
        }
        self.now = self.now.max(t);
    }

    /// Steps until nothing is pending (at most `limit` steps).
    pub fn run(&mut self, limit: usize) {
        for _ in 0..limit {
            if !self.step() {
                return;
            }
        }
        panic!("still busy after {limit} steps");
    }

    /// The ladder: one line per segment, in the order sent.
    pub fn ladder(&self) -> String {
        let name = |a: u32| match Host::at(a) {
            Some(Host::Client) => "C".to_string(),
            Some(Host::Server) => "S".to_string(),
            None => a.to_string(),
        };
        let mut s = String::new();
        for l in &self.log {
            let arrived = l.arrived.map_or("lost".to_string(), secs);
            let _ = writeln!(
                s,
                "{} {arrived} {}->{} {}>{} {:<7} seq={} ack={} len={}",
                secs(l.sent),
                name(l.from),
                name(l.to),
                l.seg.src_port,
                l.seg.dst_port,
                l.seg.flags,
                l.seg.seq,
                l.seg.ack,
                l.seg.len,
            );
        }
        s
    }

    /// Everything host `h` reported, with times.
    pub fn records_of(&self, h: Host) -> Vec<(Time, Record)> {
        self.records
            .iter()
            .filter(|r| r.1 == h)
            .map(|r| (r.0, r.2))
            .collect()
    }

    /// What became of each segment that reached host `h`.
    pub fn incoming(&self, h: Host) -> Vec<(Time, Incoming<Tag>)> {
        self.records_of(h)
            .into_iter()
            .filter_map(|(t, r)| match r {
                Record::Incoming(i) => Some((t, i)),
                _ => None,
            })
            .collect()
    }

    /// Host `h`'s stack events.
    pub fn stack_events(&self, h: Host) -> Vec<(Time, StackEvent<Tag>)> {
        self.records_of(h)
            .into_iter()
            .filter_map(|(t, r)| match r {
                Record::Stack(e) => Some((t, e)),
                _ => None,
            })
            .collect()
    }

    fn send(&mut self, from: u32, to: u32, seg: Segment) {
        let dropped = match Host::at(from) {
            Some(h) => {
                let rule = self.drops.iter().position(|(d, m)| *d == h && m(&seg));
                rule.map(|i| self.drops.remove(i)).is_some()
            }
            None => false,
        };
        self.log.push(Line {
            sent: self.now,
            arrived: None,
            from,
            to,
            seg,
        });
        if !dropped && Host::at(to).is_some() {
            self.order += 1;
            self.wire.push(Flight {
                at: self.now + self.delay,
                order: self.order,
                line: self.log.len() - 1,
            });
        }
    }

    fn transmit(&mut self, h: Host, t: Transmit<u32>) {
        self.send(h.addr(), t.to, t.seg);
    }

    fn record(&mut self, h: Host, r: Record) {
        self.records.push((self.now, h, r));
    }

    fn deliver(&mut self, line: usize) {
        let (now, from, to, seg) = {
            let l = &mut self.log[line];
            l.arrived = Some(self.now);
            (self.now, l.from, l.to, l.seg)
        };
        let h = Host::at(to).expect("only segments for a host travel");
        let incoming = self.stack(h).handle_segment(now, from, &seg);
        // A TIME-WAIT socket that a SYN reopened ended before the SYN went on.
        self.drain_stack(h);
        self.record(h, Record::Incoming(incoming));
        match incoming {
            Incoming::Conn { id, .. } => self.pump(h, id),
            Incoming::Opened { id, .. } => {
                let tag = self.next_tag;
                self.next_tag += 1;
                self.stack(h).set_tag(id, tag);
                self.pump(h, id);
            }
            _ => {}
        }
    }

    /// The stack's own events and answers.
    fn drain_stack(&mut self, h: Host) {
        while let Some(e) = self.stack(h).poll_event() {
            self.record(h, Record::Stack(e));
            let StackEvent::TimeWaitEnded { id, .. } = e;
            self.arm(h, Wake::TimeWait(id), None);
        }
        while let Some(t) = self.stack(h).poll_transmit() {
            self.transmit(h, t);
        }
    }

    /// A connection's events and segments, then `settle` and its timer.
    fn pump(&mut self, h: Host, id: ConnId) {
        loop {
            while let Some(e) = self.stack(h).poll_conn_event(id) {
                self.record(h, Record::Conn(id, e));
            }
            match self.stack(h).poll_conn_transmit(id) {
                Some(t) => self.transmit(h, t),
                None => break,
            }
        }
        let settled = self.stack(h).settle(id);
        self.record(h, Record::Settled(id, settled));
        match settled {
            Settled::Open { timeout } => self.arm(h, Wake::Conn(id), timeout),
            Settled::TimeWait { id: tw, deadline } => {
                self.arm(h, Wake::Conn(id), None);
                self.arm(h, Wake::TimeWait(tw), Some(deadline));
            }
            Settled::Closed { .. } | Settled::TimeWaitOverflow { .. } => {
                self.arm(h, Wake::Conn(id), None)
            }
        }
    }

    fn arm(&mut self, h: Host, wake: Wake, at: Option<Time>) {
        let i = self.timers.iter().position(|t| t.0 == h && t.1 == wake);
        match (i, at) {
            (Some(i), Some(at)) => self.timers[i].2 = at,
            (Some(i), None) => {
                self.timers.remove(i);
            }
            (None, Some(at)) => self.timers.push((h, wake, at)),
            (None, None) => {}
        }
    }

    fn wake(&mut self, h: Host, wake: Wake) {
        let now = self.now;
        match wake {
            Wake::Conn(id) => {
                self.stack(h).handle_conn_timeout(now, id);
                self.pump(h, id);
            }
            Wake::TimeWait(id) => {
                let t = self.stack(h).handle_time_wait_timeout(now, id);
                self.record(h, Record::TimeWait(id, t));
                if let TimeWaitTimeout::Later(at) = t {
                    self.arm(h, wake, Some(at));
                }
            }
        }
    }
}
