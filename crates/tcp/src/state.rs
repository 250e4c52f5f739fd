//! The eleven connection states of RFC 9293 §3.3.2.

use std::fmt;

/// A connection state, named as in RFC 9293 §3.3.2 (Figure 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
    Closed,
}

impl State {
    /// Every state, in declaration order (so `State::ALL[s as usize] == s`).
    pub const ALL: [State; 11] = [
        State::Listen,
        State::SynSent,
        State::SynReceived,
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
        State::Closed,
    ];

    /// The RFC's spelling: `SYN-SENT`, `TIME-WAIT`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
            State::Closed => "CLOSED",
        }
    }

    /// RFC 9293 §3.3.2: the states after the handshake, where both sides' sequence numbers
    /// are known.
    pub fn is_synchronized(self) -> bool {
        !matches!(
            self,
            State::Listen | State::SynSent | State::SynReceived | State::Closed
        )
    }

    /// States in which this side may still send data it was given (RFC 9293 §3.10.2).
    pub fn can_send(self) -> bool {
        matches!(
            self,
            State::SynSent | State::SynReceived | State::Established | State::CloseWait
        )
    }

    /// States in which data or a FIN of ours may go out, first or again (the window open
    /// after the handshake, until our FIN is acknowledged).
    pub fn transmits(self) -> bool {
        matches!(
            self,
            State::Established
                | State::CloseWait
                | State::FinWait1
                | State::Closing
                | State::LastAck
        )
    }

    /// States in which arriving text is delivered (RFC 9293 §3.10.7.4, seventh).
    pub fn can_receive(self) -> bool {
        matches!(self, State::Established | State::FinWait1 | State::FinWait2)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_the_rfc() {
        assert_eq!(State::SynSent.to_string(), "SYN-SENT");
        assert_eq!(State::TimeWait.to_string(), "TIME-WAIT");
        assert_eq!(format!("{:<12}|", State::Closed), "CLOSED      |");
    }
}
