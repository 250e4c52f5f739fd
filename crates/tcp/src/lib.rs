//! A sans-IO TCP endpoint (RFC 9293 state machine); [`config`] holds its settings.
//!
//! A [`Connection`] never sees a scheduler or a clock: the caller hands it segments and
//! wake-ups with the current [`Time`](synack_sim::Time), and polls it for segments to send,
//! its next deadline and application events. A [`Listener`] decides what becomes of SYNs
//! (SYN queue, accept queue, SYN cookies); [`IsnGenerator`] chooses initial sequence
//! numbers; the congestion-control algorithms sit behind [`CongestionControl`]. A connection
//! that reaches TIME-WAIT can be swapped for a [`TimeWait`] of at most 128 bytes
//! ([`Connection::into_time_wait`]), which answers the segments that still arrive. A
//! [`Stack`] puts these together as one host's TCP: it finds the socket of each arriving
//! segment by 4-tuple, runs the listeners, hands out ephemeral ports, keeps TIME-WAIT sockets
//! and answers for closed ports — sans-IO too.
//!
//! What is simplified, and what it costs, is listed in each module's documentation; the
//! connection's list is in [`connection`].
//!
//! ```
//! use synack_sim::{Duration, Time};
//! use synack_tcp::config::Config;
//! use synack_tcp::{Connection, Event, Seq, State};
//!
//! let config = Config::rfc();
//! let mut now = Time::ZERO;
//! let mut client = Connection::connect(now, &config, 40000, 80, Seq(100));
//! let syn = client.poll_transmit().unwrap();
//! // The caller's listener turns the SYN into a connection…
//! let mut server = Connection::accept(now, &config, 80, &syn, Seq(300)).unwrap();
//! // …and carries segments both ways (here with no delay) until neither has more to say.
//! loop {
//!     let mut moved = false;
//!     while let Some(seg) = client.poll_transmit() {
//!         server.handle_segment(now, &seg);
//!         moved = true;
//!     }
//!     while let Some(seg) = server.poll_transmit() {
//!         client.handle_segment(now, &seg);
//!         moved = true;
//!     }
//!     if !moved {
//!         break;
//!     }
//!     now += Duration::from_millis(1);
//! }
//! assert_eq!((client.state(), server.state()), (State::Established, State::Established));
//! assert_eq!(client.poll_event(), Some(Event::StateChanged { from: State::Closed, to: State::SynSent }));
//! // Timers are the caller's to run: the next one is the server's delayed ACK, if any.
//! let _next: Option<Time> = server.poll_timeout();
//! ```

pub mod config;
pub mod congestion;
pub mod connection;
pub mod error;
pub mod isn;
pub mod listener;
pub mod reassembly;
pub mod rtt;
pub mod sack;
pub mod segment;
mod sent;
pub mod seq;
pub mod stack;
pub mod state;
pub mod time_wait;
pub mod timer;

pub use congestion::{AckSample, CongestionControl, Controller, Cubic};
pub use connection::{Connection, Event, Stats};
pub use error::{AcceptError, CloseError, ConnectError, ListenError, SendError};
pub use isn::{FourTuple, IsnGenerator};
pub use listener::{CookieAck, Listener, ListenerStats, SynContext, SynDecision, SynDrop};
pub use segment::{Ecn, Flags, Options, SackBlocks, Segment, Timestamp};
pub use seq::Seq;
pub use stack::{
    Accept, Address, Answer, ConnId, DropReason, Incoming, ListenerId, Settled, SocketId, Stack,
    StackEvent, TimeWaitEnd, TimeWaitId, TimeWaitTimeout, Transmit,
};
pub use state::State;
pub use time_wait::{TimeWait, TimeWaitAction};
pub use timer::Timer;
