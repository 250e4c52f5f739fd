//! One small error enum per operation. Conditions that end a connection (a reset, a
//! time-out) are not errors of any call: they arrive as [`Event`](crate::Event)s.

use thiserror::Error;

use crate::state::State;

/// Why [`Connection::send`](crate::Connection::send) took no data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum SendError {
    /// RFC 9293 §3.10.2: "connection closing" — the application already called `close`.
    #[error("the application already closed this connection")]
    Closing,
    /// RFC 9293 §3.10.2: no data may be queued in this state.
    #[error("cannot send in {0}")]
    InvalidState(State),
}

/// Why [`Connection::close`](crate::Connection::close) did nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum CloseError {
    /// RFC 9293 §3.10.4: "connection closing" — `close` was already called.
    #[error("the connection is already closing")]
    AlreadyClosing,
    /// RFC 9293 §3.10.4: "connection does not exist".
    #[error("the connection does not exist")]
    NotOpen,
}

/// Why [`Connection::accept`](crate::Connection::accept) made no connection from a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum AcceptError {
    /// RFC 9293 §3.10.7.2: a listener only opens on a segment with SYN and neither RST nor
    /// ACK.
    #[error("not a connection request (a SYN without ACK or RST)")]
    NotSyn,
}

/// Why [`Stack::connect`](crate::Stack::connect) opened no connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ConnectError {
    /// Every ephemeral port is taken towards that address and port (`EADDRNOTAVAIL`).
    #[error("no free ephemeral port towards that address and port")]
    NoFreePort,
}

/// Why [`Stack::listen`](crate::Stack::listen) made no listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum ListenError {
    /// A listener already has the port (`EADDRINUSE`).
    #[error("port {0} already listens")]
    PortInUse(u16),
    /// Connections or TIME-WAIT sockets still hold the port and `SO_REUSEADDR` is off
    /// (`EADDRINUSE`, Linux `inet_csk_bind_conflict`).
    #[error("port {0} is held by connections or TIME-WAIT sockets (SO_REUSEADDR is off)")]
    PortHeld(u16),
}
