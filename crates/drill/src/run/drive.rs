//! Driving the stack in simulated time, as `crates/tcp/tests/util/hosts.rs` drives one: after
//! every input the stack's own answers and events are drained, then the connection's, then
//! it is settled and its timer re-armed. Every segment sent is queued with its send time for
//! the script's `>` lines.

use synack_sim::Time;
use synack_tcp::{
    ConnId, Event, Incoming, Segment, Settled, SocketId, StackEvent, State, TimeWaitTimeout,
};

use super::{ConnInfo, Errno, Runner, Sock, Wake, REMOTE_ADDR};

impl Runner {
    /// The earliest timer, if any.
    pub(super) fn next_deadline(&self) -> Option<Time> {
        self.timers.iter().map(|t| t.1).min()
    }

    /// Fires the earliest timer if it is due by `limit`: false if none is.
    pub(super) fn step(&mut self, limit: Time) -> bool {
        let Some(at) = self.next_deadline().filter(|&d| d <= limit) else {
            return false;
        };
        self.now = self.now.max(at);
        let i = self.timers.iter().position(|t| t.1 == at).expect("due");
        let (wake, _) = self.timers.remove(i);
        match wake {
            Wake::Conn(id) => {
                self.stack.handle_conn_timeout(self.now, id);
                self.pump(id);
            }
            Wake::TimeWait(id) => {
                if let TimeWaitTimeout::Later(t) = self.stack.handle_time_wait_timeout(self.now, id)
                {
                    self.arm(wake, Some(t));
                }
            }
        }
        true
    }

    /// Hands an inbound segment to the stack now.
    pub(super) fn inject(&mut self, seg: &Segment) {
        let incoming = self.stack.handle_segment(self.now, REMOTE_ADDR, seg);
        self.drain_stack();
        match incoming {
            Incoming::Conn { id, .. } => self.pump(id),
            Incoming::Opened { id, .. } => {
                let tag = self.new_conn(ConnInfo::new(Some(id), State::SynReceived));
                self.stack.set_tag(id, tag);
                self.pump(id);
            }
            _ => {}
        }
    }

    /// A connection this run tracks; its tag.
    pub(super) fn new_conn(&mut self, info: ConnInfo) -> u32 {
        self.conns.push(info);
        self.conns.len() as u32
    }

    pub(super) fn info(&mut self, tag: u32) -> &mut ConnInfo {
        &mut self.conns[tag as usize - 1]
    }

    /// The live connection behind socket `sock`, if it is one and not yet in TIME-WAIT or
    /// closed.
    pub(super) fn live(&self, sock: &Sock) -> Option<ConnId> {
        match *sock {
            Sock::Conn { tag, .. } => self.conns[tag as usize - 1].id,
            _ => None,
        }
    }

    /// The stack's own answers and events.
    pub(super) fn drain_stack(&mut self) {
        while let Some(StackEvent::TimeWaitEnded { id, .. }) = self.stack.poll_event() {
            self.arm(Wake::TimeWait(id), None);
        }
        while let Some(t) = self.stack.poll_transmit() {
            self.sent.push_back((self.now, t.seg));
        }
    }

    /// A connection's events and segments, then `settle` and its timer.
    pub(super) fn pump(&mut self, id: ConnId) {
        let tag = self.stack.tag(SocketId::Conn(id));
        loop {
            while let Some(e) = self.stack.poll_conn_event(id) {
                if tag != 0 {
                    self.info(tag).on_event(e);
                }
            }
            match self.stack.poll_conn_transmit(id) {
                Some(t) => self.sent.push_back((self.now, t.seg)),
                None => break,
            }
        }
        match self.stack.settle(id) {
            Settled::Open { timeout } => self.arm(Wake::Conn(id), timeout),
            Settled::TimeWait { id: tw, deadline } => {
                self.arm(Wake::Conn(id), None);
                self.arm(Wake::TimeWait(tw), Some(deadline));
                if tag != 0 {
                    self.info(tag).id = None;
                }
            }
            Settled::Closed { .. } | Settled::TimeWaitOverflow { .. } => {
                self.arm(Wake::Conn(id), None);
                if tag != 0 {
                    self.info(tag).id = None;
                }
            }
        }
    }

    pub(super) fn arm(&mut self, wake: Wake, at: Option<Time>) {
        let i = self.timers.iter().position(|t| t.0 == wake);
        match (i, at) {
            (Some(i), Some(at)) => self.timers[i].1 = at,
            (Some(i), None) => {
                self.timers.remove(i);
            }
            (None, Some(at)) => self.timers.push((wake, at)),
            (None, None) => {}
        }
    }
}

impl ConnInfo {
    pub(super) fn new(id: Option<ConnId>, state: State) -> ConnInfo {
        ConnInfo {
            id,
            state,
            closed_from: None,
            readable: 0,
            fin: false,
            error: None,
            connected: false,
        }
    }

    /// What the application learns, kept as a socket keeps it.
    fn on_event(&mut self, e: Event) {
        match e {
            Event::StateChanged { from, to } => {
                self.state = to;
                if to == State::Closed {
                    self.closed_from = Some(from);
                }
            }
            Event::Connected => self.connected = true,
            Event::DataReceived(n) => self.readable += n,
            Event::PeerFin => self.fin = true,
            // Linux `tcp_reset`: ECONNREFUSED in SYN-SENT, else ECONNRESET.
            Event::Reset => {
                self.error = Some(if self.closed_from == Some(State::SynSent) {
                    Errno::ECONNREFUSED
                } else {
                    Errno::ECONNRESET
                });
            }
            Event::TimedOut => self.error = Some(Errno::ETIMEDOUT),
            Event::Acked(_) | Event::Closed => {}
        }
    }
}
