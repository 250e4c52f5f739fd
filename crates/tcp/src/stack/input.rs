//! Segment arrival: the 4-tuple's socket, else the port's listener, else CLOSED.

use synack_sim::Time;

use super::{
    Address, Answer, ConnId, DropReason, Incoming, ListenerId, SocketId, Stack, StackEvent,
    TimeWaitEnd, TimeWaitId, Transmit, LIVE_TIME_WAIT,
};
use crate::connection::Connection;
use crate::listener::{CookieAck, SynContext, SynDecision, SynDrop};
use crate::segment::Segment;
use crate::seq::Seq;
use crate::state::State;
use crate::time_wait::TimeWaitAction;

impl<A: Address, T: Copy + Default> Stack<A, T> {
    /// A segment from `remote` arrived at `now`. When it ends a TIME-WAIT socket, drain
    /// [`poll_event`](Self::poll_event) before acting on what this returns: the socket ended
    /// first (a SYN that reopens the 4-tuple goes on to the listener after).
    pub fn handle_segment(&mut self, now: Time, remote: A, seg: &Segment) -> Incoming<T> {
        match self.lookup(seg.dst_port, remote, seg.src_port) {
            Some(SocketId::Conn(id)) => self.conn_segment(now, id, seg),
            Some(SocketId::TimeWait(id)) => self.time_wait_segment(now, id, remote, seg),
            None => self.no_connection(now, remote, seg, None),
        }
    }

    /// A segment for a connection. A half-open one whose listener has no room in its
    /// accept queue ignores an ACK (Linux `tcp_check_req`): the SYN-ACK will be sent again.
    /// With `abort_on_overflow`, the handshake's final ACK (one that acknowledges the SYN-ACK)
    /// aborts it instead: a RST <SEQ=SEG.ACK> and CLOSED (`tcp_check_req`'s
    /// `listen_overflow`, then `embryonic_reset`).
    fn conn_segment(&mut self, now: Time, id: ConnId, seg: &Segment) -> Incoming<T> {
        let s = self.conns.get_mut(id.0).expect("demux names live sockets");
        let before = s.conn.state();
        if let Some(l) = s.syn_queue {
            let listener = &mut self.listeners[l.index()].inner;
            if seg.flags.ack() && listener.accept_queue_full() {
                let final_ack = !seg.flags.syn()
                    && !seg.flags.rst()
                    && seg.ack == s.conn.isn().0 + 1
                    && before == State::SynReceived;
                if final_ack {
                    listener.ack_overflowed();
                }
                if !(final_ack && s.conn.config().abort_on_overflow) {
                    return Incoming::Dropped(DropReason::AckWhileAcceptQueueFull);
                }
                // `tcp_check_req`'s listen_overflow with `tcp_abort_on_overflow`: the
                // embryonic reset, <SEQ=SEG.ACK><CTL=RST>.
                s.conn.reset_answering(seg);
                return Incoming::Conn {
                    id,
                    before,
                    received: 0,
                };
            }
        }
        let delivered = s.conn.bytes_received();
        s.conn.handle_segment(now, seg);
        Incoming::Conn {
            id,
            before,
            received: s.conn.bytes_received() - delivered,
        }
    }

    /// RFC 9293 §3.10.7.4 in TIME-WAIT, as the socket's [`TimeWait`](crate::TimeWait)
    /// answers it. A SYN that reopens the 4-tuple ends the socket and goes on to the
    /// listener (or is answered as by CLOSED, if the port has none).
    fn time_wait_segment(
        &mut self,
        now: Time,
        id: TimeWaitId,
        remote: A,
        seg: &Segment,
    ) -> Incoming<T> {
        let s = self.time_waits.get_mut(id.0).expect(LIVE_TIME_WAIT);
        let tag = s.tag;
        match s.tw.handle_segment(now, seg) {
            TimeWaitAction::AckFin(ack) | TimeWaitAction::Ack(ack) => {
                self.transmits.push_back(Transmit {
                    to: s.remote,
                    seg: ack,
                    from: Some(SocketId::TimeWait(id)),
                });
            }
            TimeWaitAction::Close => self.end_time_wait(id, TimeWaitEnd::Rst),
            TimeWaitAction::Reopen => {
                // Linux's `tw_isn` (`tcp_timewait_state_process`): the new incarnation's ISS
                // lies beyond every sequence number of the old one (RFC 1122 §4.2.2.13).
                let tw_isn = s.tw.successor_isn();
                self.end_time_wait(id, TimeWaitEnd::Reopen);
                return self.no_connection(now, remote, seg, Some(tw_isn));
            }
            TimeWaitAction::Ignore => {}
        }
        Incoming::TimeWait { id, tag }
    }

    /// A segment (or a connect() reusing its port) ended TIME-WAIT socket `id`.
    pub(super) fn end_time_wait(&mut self, id: TimeWaitId, by: TimeWaitEnd) {
        let s = self.time_waits.remove(id.0);
        self.demux_remove((s.tw.local_port(), s.remote, s.tw.remote_port()));
        self.events.push_back(StackEvent::TimeWaitEnded {
            id,
            tag: s.tag,
            stats: s.tw.stats(),
            by,
        });
    }

    /// RFC 9293 §3.10.7.1 (CLOSED) and §3.10.7.2 (LISTEN): a segment for no socket;
    /// `tw_isn`, the ISS for a connection that reopens a TIME-WAIT 4-tuple.
    fn no_connection(
        &mut self,
        now: Time,
        remote: A,
        seg: &Segment,
        tw_isn: Option<Seq>,
    ) -> Incoming<T> {
        let listener = self.listener_on(seg.dst_port);
        let (syn, ack, rst) = (seg.flags.syn(), seg.flags.ack(), seg.flags.rst());
        match listener {
            // LISTEN, third: a SYN.
            Some(l) if syn && !ack && !rst => self.listener_syn(now, l, remote, seg, tw_isn),
            // LISTEN, first: an incoming RST is ignored. CLOSED: likewise.
            _ if rst => Incoming::Dropped(DropReason::RstForNothing),
            // An ACK that may carry a SYN cookie (RFC 4987 §3.6); if not, LISTEN, second.
            Some(l) if ack && !syn => self.cookie_ack(now, l, remote, seg),
            // LISTEN, second, and CLOSED with an ACK: <SEQ=SEG.ACK><CTL=RST>.
            _ if ack => self.reset(
                remote,
                Segment::rst(seg.dst_port, seg.src_port, seg.ack, None),
            ),
            // CLOSED, no ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
            None => {
                let rst = Segment::rst(seg.dst_port, seg.src_port, Seq(0), Some(seg.end()));
                self.reset(remote, rst)
            }
            // LISTEN, fourth: anything else (a FIN alone, say) is dropped.
            Some(_) => Incoming::Dropped(DropReason::ListenNoAck),
        }
    }

    /// Queues a RST from no socket.
    fn reset(&mut self, to: A, rst: Segment) -> Incoming<T> {
        self.transmits.push_back(Transmit {
            to,
            seg: rst,
            from: None,
        });
        Incoming::Answered(Answer::Reset)
    }

    /// A listener takes a SYN: a new connection in SYN-RECEIVED, a cookie, or nothing.
    fn listener_syn(
        &mut self,
        now: Time,
        l: ListenerId,
        remote: A,
        syn: &Segment,
        tw_isn: Option<Seq>,
    ) -> Incoming<T> {
        let tuple = self.tuple(syn.dst_port, remote, syn.src_port);
        let context = SynContext {
            reopens_time_wait: tw_isn.is_some(),
            peer_proven: self.proven.contains(&remote),
        };
        let listener = &mut self.listeners[l.index()].inner;
        match listener.on_syn(now, tuple, syn, context) {
            SynDecision::Drop(SynDrop::AcceptQueueFull) => {
                Incoming::Dropped(DropReason::AcceptQueueFull)
            }
            SynDecision::Drop(SynDrop::SynQueueFull) => Incoming::Dropped(DropReason::SynQueueFull),
            SynDecision::Drop(SynDrop::PeerNotProven) => {
                Incoming::Dropped(DropReason::PeerNotProven)
            }
            SynDecision::Cookie(synack) => {
                self.transmits.push_back(Transmit {
                    to: remote,
                    seg: synack,
                    from: None,
                });
                Incoming::Answered(Answer::Cookie)
            }
            SynDecision::Open => {
                let iss = tw_isn.unwrap_or_else(|| self.isn.next(now, tuple));
                let buffers = self.spare.pop().unwrap_or_default();
                let conn =
                    Connection::accept_with(now, &self.config, syn.dst_port, syn, iss, buffers)
                        .expect("the listener passes SYNs only");
                let id = self.insert(conn, remote, T::default(), Some(l));
                self.conns.get_mut(id.0).expect("just made").syn_queue = Some(l);
                Incoming::Opened {
                    id,
                    listener: l,
                    cookie: false,
                }
            }
        }
    }

    /// An ACK for no connection at a listener: a connection, ESTABLISHED and in the
    /// accept queue, if it carries a valid cookie (the listener counts it there); dropped if
    /// it does but the accept queue is full; else LISTEN's second step, a RST.
    fn cookie_ack(&mut self, now: Time, l: ListenerId, remote: A, ack: &Segment) -> Incoming<T> {
        let tuple = self.tuple(ack.dst_port, remote, ack.src_port);
        let conn = match self.listeners[l.index()].inner.on_ack(now, tuple, ack) {
            CookieAck::Open(conn) => conn,
            CookieAck::AcceptQueueFull => {
                return Incoming::Dropped(DropReason::AckWhileAcceptQueueFull)
            }
            CookieAck::NotACookie => {
                let rst = Segment::rst(ack.dst_port, ack.src_port, ack.ack, None);
                return self.reset(remote, rst);
            }
        };
        let id = self.insert(conn, remote, T::default(), Some(l));
        let generation = self.conns.generation(id.0);
        self.listeners[l.index()]
            .accept_queue
            .push_back((id, generation));
        Incoming::Opened {
            id,
            listener: l,
            cookie: true,
        }
    }
}
