//! A two-endpoint harness: a client and a server joined by a wire with a fixed one-way
//! delay. `step()` jumps to the earliest deadline (a segment's arrival or a timer); tests drop
//! or delay chosen segments with rules, and assert the ladder of segments exchanged.
//!
//! The server side is a listener in miniature: the first SYN that reaches it is passed to
//! [`Connection::accept`]. Until then its state prints as LISTEN.

#![allow(dead_code)] // each test file uses a different part

pub mod hosts;

use std::fmt::Write;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, Time};
use synack_tcp::config::Config;
use synack_tcp::{
    Connection, Event, FourTuple, Listener, Segment, Seq, State, SynContext, SynDecision,
};

pub const CLIENT_PORT: u16 = 40000;
pub const SERVER_PORT: u16 = 80;
/// RFC 9293 Figure 6's initial sequence numbers.
pub const CLIENT_ISN: Seq = Seq(100);
pub const SERVER_ISN: Seq = Seq(300);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// One segment sent: when, which way, what, when it arrived (never, if dropped) and both
/// endpoints' states after it was handled (after it was sent, if dropped).
#[derive(Clone, Debug)]
pub struct Line {
    pub sent: Time,
    pub arrived: Option<Time>,
    pub from: Side,
    pub seg: Segment,
    pub client: State,
    pub server: State,
}

struct Flight {
    at: Time,
    order: u64,
    to: Side,
    seg: Segment,
    line: usize,
}

type Matcher = Box<dyn Fn(&Segment) -> bool>;

enum Action {
    Drop,
    Delay(Duration),
    /// Delivered marked CE, as an ECN queue on the way would (RFC 3168 §5).
    MarkCe,
}

/// Random faults applied to every segment after the rules: each is lost with probability
/// `loss`, duplicated with `duplicate`, and held back by a uniform extra delay up to
/// `max_extra` with probability `reorder` (which reorders it behind later segments).
#[derive(Clone, Copy, Debug)]
pub struct Chaos {
    pub loss: f64,
    pub duplicate: f64,
    pub reorder: f64,
    pub max_extra: Duration,
}

struct Rule {
    from: Side,
    matches: Matcher,
    action: Action,
    remaining: u32,
}

pub struct Pair {
    pub now: Time,
    pub delay: Duration,
    pub client: Connection,
    pub server: Option<Connection>,
    pub server_config: Config,
    pub server_isn: Seq,
    pub log: Vec<Line>,
    pub client_events: Vec<(Time, Event)>,
    pub server_events: Vec<(Time, Event)>,
    wire: Vec<Flight>,
    order: u64,
    rules: Vec<Rule>,
    chaos: Option<(Chaos, ChaCha8Rng)>,
    /// With a listener, SYNs and stray ACKs reaching the server go through its admission
    /// control (SYN queue, SYN cookies); without, the first SYN is accepted.
    pub listener: Option<Listener>,
}

impl Pair {
    /// A client that connects at time 0 to a listening server, `delay` away.
    pub fn connect(client: &Config, server: &Config, delay: Duration) -> Pair {
        let conn = Connection::connect(Time::ZERO, client, CLIENT_PORT, SERVER_PORT, CLIENT_ISN);
        Pair {
            now: Time::ZERO,
            delay,
            client: conn,
            server: None,
            server_config: server.clone(),
            server_isn: SERVER_ISN,
            log: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            wire: Vec::new(),
            order: 0,
            rules: Vec::new(),
            chaos: None,
            listener: None,
        }
    }

    /// Like [`Pair::connect`], with the server behind a [`Listener`].
    pub fn listen(client: &Config, server: &Config, delay: Duration) -> Pair {
        let mut p = Pair::connect(client, server, delay);
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        p.listener = Some(Listener::new(server, SERVER_PORT, &mut rng));
        p
    }

    /// Both ends connect to each other at time 0 (RFC 9293 Figure 7).
    pub fn simultaneous(config: &Config, delay: Duration) -> Pair {
        let mut p = Pair::connect(config, config, delay);
        p.server = Some(Connection::connect(
            Time::ZERO,
            config,
            SERVER_PORT,
            CLIENT_PORT,
            SERVER_ISN,
        ));
        p
    }

    /// The server's connection (panics if no SYN reached it yet).
    pub fn server(&mut self) -> &mut Connection {
        self.server
            .as_mut()
            .expect("the server has accepted no connection")
    }

    /// Drops the next segment from `from` that `matches`.
    pub fn drop_next(&mut self, from: Side, matches: impl Fn(&Segment) -> bool + 'static) {
        self.rule(from, Action::Drop, 1, matches);
    }

    /// Drops every segment from `from` that `matches`.
    pub fn drop_all(&mut self, from: Side, matches: impl Fn(&Segment) -> bool + 'static) {
        self.rule(from, Action::Drop, u32::MAX, matches);
    }

    /// Delays the next segment from `from` that `matches` by `extra` beyond the wire's delay.
    pub fn delay_next(
        &mut self,
        from: Side,
        extra: Duration,
        matches: impl Fn(&Segment) -> bool + 'static,
    ) {
        self.rule(from, Action::Delay(extra), 1, matches);
    }

    /// Marks the next segment from `from` that `matches` CE on its way (an ECN queue).
    pub fn mark_next(&mut self, from: Side, matches: impl Fn(&Segment) -> bool + 'static) {
        self.rule(from, Action::MarkCe, 1, matches);
    }

    /// Applies `chaos` to every segment from now on, drawing from a stream seeded by `seed`.
    pub fn set_chaos(&mut self, chaos: Chaos, seed: u64) {
        self.chaos = Some((chaos, ChaCha8Rng::seed_from_u64(seed)));
    }

    fn rule(&mut self, from: Side, action: Action, n: u32, m: impl Fn(&Segment) -> bool + 'static) {
        self.rules.push(Rule {
            from,
            matches: Box::new(m),
            action,
            remaining: n,
        });
    }

    /// The earliest pending deadline: an arrival or a timer.
    pub fn next_deadline(&self) -> Option<Time> {
        let wire = self.wire.iter().map(|f| f.at).min();
        let c = self.client.poll_timeout();
        let s = self.server.as_ref().and_then(|s| s.poll_timeout());
        [wire, c, s].into_iter().flatten().min()
    }

    /// Jumps to the earliest deadline and handles one thing due there: the earliest-sent
    /// arrival, else the client's timers, else the server's. Returns false when idle.
    pub fn step(&mut self) -> bool {
        self.collect();
        let Some(at) = self.next_deadline() else {
            return false;
        };
        self.now = at;
        let arrival = (0..self.wire.len())
            .filter(|&i| self.wire[i].at == at)
            .min_by_key(|&i| self.wire[i].order);
        if let Some(i) = arrival {
            let f = self.wire.swap_remove(i);
            self.deliver(f);
        } else if self.client.poll_timeout() == Some(at) {
            self.client.handle_timeout(at);
        } else if let Some(s) = self.server.as_mut() {
            s.handle_timeout(at);
        }
        self.collect();
        true
    }

    /// Steps while the next deadline is at or before `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: Time) {
        self.collect();
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

    /// Runs until time `t` at the latest (`t` given as seconds then milliseconds).
    pub fn at(&mut self, ms: u64) -> &mut Pair {
        self.run_until(Time::ZERO + Duration::from_millis(ms));
        self
    }

    pub fn client_state(&self) -> State {
        self.client.state()
    }

    pub fn server_state(&self) -> State {
        self.server.as_ref().map_or(State::Listen, |s| s.state())
    }

    /// The ladder: one line per segment, in the order sent.
    pub fn ladder(&self) -> String {
        let mut s = String::new();
        for l in &self.log {
            let arrived = l.arrived.map_or("lost".to_string(), secs);
            let dir = match l.from {
                Side::Client => "C->S",
                Side::Server => "S->C",
            };
            let _ = writeln!(
                s,
                "{} {} {dir} {:<7} seq={} ack={} len={} {} {}",
                secs(l.sent),
                arrived,
                l.seg.flags,
                l.seg.seq,
                l.seg.ack,
                l.seg.len,
                l.client,
                l.server
            );
        }
        s
    }

    /// The client's events other than state changes.
    pub fn client_app_events(&self) -> Vec<(Time, Event)> {
        app_events(&self.client_events)
    }

    pub fn server_app_events(&self) -> Vec<(Time, Event)> {
        app_events(&self.server_events)
    }

    /// Moves what the endpoints produced onto the wire and into the event logs.
    fn collect(&mut self) {
        while let Some(seg) = self.client.poll_transmit() {
            self.transmit(Side::Client, seg);
        }
        while let Some(e) = self.client.poll_event() {
            self.client_events.push((self.now, e));
        }
        while let Some(seg) = self.server.as_mut().and_then(|s| s.poll_transmit()) {
            self.transmit(Side::Server, seg);
        }
        while let Some(e) = self.server.as_mut().and_then(|s| s.poll_event()) {
            self.server_events.push((self.now, e));
        }
    }

    fn transmit(&mut self, from: Side, seg: Segment) {
        let mut arrivals = [Some(self.now + self.delay), None];
        let mut carried = seg;
        if let Some(r) = self
            .rules
            .iter_mut()
            .find(|r| r.from == from && r.remaining > 0 && (r.matches)(&seg))
        {
            r.remaining -= 1;
            arrivals[0] = match r.action {
                Action::Drop => None,
                Action::Delay(extra) => Some(self.now + self.delay + extra),
                Action::MarkCe => {
                    carried.ecn = synack_tcp::Ecn::Ce;
                    arrivals[0]
                }
            };
        }
        if let Some((chaos, rng)) = self.chaos.as_mut() {
            let base = self.now + self.delay;
            let extra = |rng: &mut ChaCha8Rng| {
                let hold = unit(rng) < chaos.reorder;
                let span = chaos.max_extra.as_nanos() as f64;
                base + Duration::from_nanos(if hold { (unit(rng) * span) as u64 } else { 0 })
            };
            // Always the same four draws per segment, in the same order.
            let lost = unit(rng) < chaos.loss;
            let twice = unit(rng) < chaos.duplicate;
            let first = extra(rng);
            let second = extra(rng);
            if arrivals[0].is_some() {
                arrivals = [(!lost).then_some(first), twice.then_some(second)];
            }
        }
        self.log.push(Line {
            sent: self.now,
            arrived: None,
            from,
            seg,
            client: self.client_state(),
            server: self.server_state(),
        });
        let to = match from {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        for at in arrivals.into_iter().flatten() {
            self.order += 1;
            self.wire.push(Flight {
                at,
                order: self.order,
                to,
                seg: carried,
                line: self.log.len() - 1,
            });
        }
    }

    fn deliver(&mut self, f: Flight) {
        match f.to {
            Side::Client => self.client.handle_segment(self.now, &f.seg),
            Side::Server => match self.server.as_mut() {
                Some(s) => s.handle_segment(self.now, &f.seg),
                None if self.listener.is_some() => self.listen_deliver(&f.seg),
                None => {
                    let cfg = &self.server_config;
                    self.server =
                        Connection::accept(self.now, cfg, SERVER_PORT, &f.seg, self.server_isn)
                            .ok();
                }
            },
        }
        let line = &mut self.log[f.line];
        line.arrived = Some(self.now);
        line.client = self.client.state();
        line.server = self.server.as_ref().map_or(State::Listen, |s| s.state());
    }
}

impl Pair {
    /// A segment for the server while it has no connection, through the listener.
    fn listen_deliver(&mut self, seg: &Segment) {
        let tuple = FourTuple {
            local_addr: 2,
            local_port: SERVER_PORT,
            remote_addr: 1,
            remote_port: CLIENT_PORT,
        };
        let listener = self.listener.as_mut().expect("checked by the caller");
        if seg.flags.syn() && !seg.flags.ack() {
            match listener.on_syn(self.now, tuple, seg, SynContext::default()) {
                SynDecision::Open => {
                    let (cfg, isn) = (&self.server_config, self.server_isn);
                    self.server = Connection::accept(self.now, cfg, SERVER_PORT, seg, isn).ok();
                }
                SynDecision::Cookie(synack) => self.transmit(Side::Server, synack),
                SynDecision::Drop(_) => {}
            }
        } else {
            self.server = match listener.on_ack(self.now, tuple, seg) {
                synack_tcp::CookieAck::Open(conn) => Some(conn),
                _ => None,
            };
        }
    }
}

/// A uniform draw in [0, 1).
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn app_events(events: &[(Time, Event)]) -> Vec<(Time, Event)> {
    events
        .iter()
        .filter(|(_, e)| !matches!(e, Event::StateChanged { .. }))
        .copied()
        .collect()
}

/// Seconds with millisecond precision: `0.010`, `131.000`.
pub fn secs(t: Time) -> String {
    let ms = t.as_nanos() / 1_000_000;
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn t_ms(n: u64) -> Time {
    Time::ZERO + Duration::from_millis(n)
}
