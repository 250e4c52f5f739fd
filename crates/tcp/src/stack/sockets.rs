//! Connections after their inputs: draining, timers, TIME-WAIT, the accept queue.

use synack_sim::Time;

use super::{
    Accept, Address, ConnId, ListenerId, Settled, SocketId, Stack, TimeWaitId, TimeWaitSocket,
    TimeWaitTimeout, Transmit, LIVE, LIVE_TIME_WAIT,
};
use crate::connection::{Event, Stats};
use crate::state::State;

impl<A: Address, T: Copy + Default> Stack<A, T> {
    /// The connection's next event ([`Connection::poll_event`](crate::Connection::poll_event)).
    /// Leaving SYN-RECEIVED, a connection opened by a listener leaves its SYN queue; if it
    /// became ESTABLISHED it joins that listener's accept queue (see
    /// [`listener_of`](Self::listener_of) and [`accept`](Self::accept)) as this event is
    /// returned. Entering TIME-WAIT, or CLOSED from LAST-ACK, with a round trip measured, it
    /// proves its peer alive (Linux `tcp_update_metrics`, read by `tcp_peer_is_proven`).
    /// Entering TIME-WAIT while the host holds `max_tw_buckets` TIME-WAIT sockets, it moves
    /// to CLOSED instead (Linux `tcp_time_wait` → `tcp_done`), and [`settle`](Self::settle)
    /// forgets it.
    #[inline]
    pub fn poll_conn_event(&mut self, id: ConnId) -> Option<Event> {
        let full = self.time_wait_full();
        let s = self.conns.get_mut(id.0).expect(LIVE);
        let mut event = s.conn.poll_event()?;
        if let Event::StateChanged {
            from,
            to: State::TimeWait,
        } = event
        {
            if full {
                s.overflow = true;
                event = Event::StateChanged {
                    from,
                    to: State::Closed,
                };
            }
        }
        if let Event::StateChanged {
            from,
            to: to @ (State::TimeWait | State::Closed),
        } = event
        {
            let orderly = to == State::TimeWait || from == State::LastAck;
            if orderly && s.conn.srtt().is_some() {
                self.proven.insert(s.remote);
            }
        }
        if let Event::StateChanged {
            from: State::SynReceived,
            to,
        } = event
        {
            if let Some(l) = s.syn_queue.take() {
                let young = s.young;
                let generation = self.conns.generation(id.0);
                let listener = &mut self.listeners[l.index()];
                let established = to == State::Established;
                listener.inner.half_open_ended(established, young);
                if established {
                    listener.accept_queue.push_back((id, generation));
                }
            }
        }
        Some(event)
    }

    /// The connection's next segment to put on the wire.
    #[inline]
    pub fn poll_conn_transmit(&mut self, id: ConnId) -> Option<Transmit<A>> {
        let s = self.conns.get_mut(id.0).expect(LIVE);
        let seg = s.conn.poll_transmit()?;
        Some(Transmit {
            to: s.remote,
            seg,
            from: Some(SocketId::Conn(id)),
        })
    }

    /// After the caller drained a connection's events and segments: keep it, shrink it into
    /// a TIME-WAIT socket (its tag moves along), or forget it once CLOSED (a connection still
    /// in a SYN queue leaves it, as a failed handshake). A connection that entered TIME-WAIT
    /// with the TIME-WAIT table full is forgotten instead.
    pub fn settle(&mut self, id: ConnId) -> Settled<T> {
        let conn = &self.conns.get(id.0).expect(LIVE).conn;
        match conn.state() {
            State::Closed => {
                let (tag, stats) = self.forget(id);
                Settled::Closed { tag, stats }
            }
            State::TimeWait if self.conns.get(id.0).expect(LIVE).overflow => {
                let (tag, stats) = self.forget(id);
                Settled::TimeWaitOverflow { tag, stats }
            }
            State::TimeWait if conn.can_shrink() => self.shrink(id),
            // Not drained, if in TIME-WAIT: it stays a connection until settled again.
            _ => Settled::Open {
                timeout: conn.poll_timeout(),
            },
        }
    }

    /// The host holds `max_tw_buckets` TIME-WAIT sockets (Linux `inet_twsk_alloc`: the
    /// death row's count has reached `sysctl_max_tw_buckets`).
    pub fn time_wait_full(&self) -> bool {
        self.config
            .max_tw_buckets
            .is_some_and(|max| self.time_waits.len() >= max as usize)
    }

    /// Drops a connection: its tag and counters.
    fn forget(&mut self, id: ConnId) -> (T, Stats) {
        let s = self.conns.get(id.0).expect(LIVE);
        let (syn_queue, tag, stats) = (s.syn_queue, s.tag, s.conn.stats());
        let young = s.young;
        let key = (s.conn.local_port(), s.remote, s.conn.remote_port());
        self.free_conn(id);
        if let Some(l) = syn_queue {
            self.listeners[l.index()]
                .inner
                .half_open_ended(false, young);
        }
        self.demux_remove(key);
        (tag, stats)
    }

    fn shrink(&mut self, id: ConnId) -> Settled<T> {
        let s = self.conns.get(id.0).expect(LIVE);
        let key = (s.conn.local_port(), s.remote, s.conn.remote_port());
        let tw = s.conn.shrunk().expect("checked by can_shrink");
        let (remote, tag) = (s.remote, s.tag);
        self.free_conn(id);
        let deadline = tw.deadline();
        let tw_id = TimeWaitId(self.time_waits.insert(TimeWaitSocket { tw, remote, tag }));
        self.demux_insert(key, SocketId::TimeWait(tw_id));
        Settled::TimeWait {
            id: tw_id,
            deadline,
        }
    }

    /// Runs the connection's timers if one is due at `now` (a spurious wake-up does
    /// nothing); drain and settle it after.
    ///
    /// A half-open connection of a listener first learns how many SYN-ACK retries it has
    /// left (SYN-queue pruning, [`Listener::synack_retry_limit`](crate::Listener::synack_retry_limit)),
    /// and its first timeout makes it no longer young.
    pub fn handle_conn_timeout(&mut self, now: Time, id: ConnId) {
        let s = self.conns.get_mut(id.0).expect(LIVE);
        if s.conn.poll_timeout().is_none_or(|t| t > now) {
            return;
        }
        let listener = s.syn_queue.map(|l| &mut self.listeners[l.index()].inner);
        let Some(listener) = listener else {
            return s.conn.handle_timeout(now);
        };
        s.conn.limit_synack_retries(listener.synack_retry_limit());
        s.conn.handle_timeout(now);
        if s.young && s.conn.syn_timeouts() > 0 {
            s.young = false;
            listener.synack_timed_out();
        }
    }

    /// TIME-WAIT socket `id`'s timer: over if 2·MSL has passed, else not before the
    /// deadline it gives.
    pub fn handle_time_wait_timeout(&mut self, now: Time, id: TimeWaitId) -> TimeWaitTimeout<T> {
        let s = self.time_waits.get(id.0).expect(LIVE_TIME_WAIT);
        if !s.tw.is_expired(now) {
            return TimeWaitTimeout::Later(s.tw.deadline());
        }
        let s = self.time_waits.remove(id.0);
        self.demux_remove((s.tw.local_port(), s.remote, s.tw.remote_port()));
        TimeWaitTimeout::Expired {
            tag: s.tag,
            stats: s.tw.stats(),
        }
    }

    /// The application of listener `l` takes the oldest connection of its accept queue.
    /// It counts as accepted ([`Listener::accepted`](crate::Listener::accepted)) even if it
    /// has ended meanwhile.
    pub fn accept(&mut self, l: ListenerId) -> Accept {
        let listener = &mut self.listeners[l.index()];
        let Some((id, generation)) = listener.accept_queue.pop_front() else {
            return Accept::Empty;
        };
        listener.inner.accepted();
        let live = self.conns.get(id.0).is_some() && self.conns.generation(id.0) == generation;
        if live {
            Accept::Conn(id)
        } else {
            Accept::Ended
        }
    }

    /// How many connections wait in listener `l`'s accept queue (ended ones included).
    pub fn accept_queue_len(&self, l: ListenerId) -> usize {
        self.listeners[l.index()].accept_queue.len()
    }
}
