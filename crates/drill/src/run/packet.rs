//! `<` and `>` lines: segments into the stack, and the stack's segments against the script.

use synack_sim::Time;
use synack_tcp::{Ecn, Flags, Options as SegOptions, Segment, Seq, Timestamp};

use super::{time_of, us, Isns, Runner, Stop, ANY_TIME, REMOTE_ADDR, REMOTE_ISN};
use crate::report::{option_list, Failure, Outcome, PacketView};
use crate::script::{Event, Options, Packet, PacketFlags, TcpOption};

/// How long past its time a `>` line waits for its packet (simulated): a packet sent
/// within this is reported as a timing error, later as missing.
const LATE_LIMIT_US: i64 = 3_600_000_000;

impl Runner {
    /// An inbound line as a segment, injected now.
    pub(super) fn inbound(&mut self, line: u32, p: &Packet) -> Result<(), Stop> {
        let mut flags = Flags::NONE;
        for (set, f) in [
            (p.flags.syn, Flags::SYN),
            (p.flags.fin, Flags::FIN),
            (p.flags.rst, Flags::RST),
            (p.flags.ack, Flags::ACK),
            (p.flags.ece, Flags::ECE),
            (p.flags.cwr, Flags::CWR),
        ] {
            if set {
                flags |= f;
            }
        }
        let port = self.remote_port(p);
        let isns = self.isns.get(&port).copied();
        // packetdrill writes `ack` relative to our ISN once it is known.
        let ack = match (p.ack, isns) {
            (Some(a), Some(isns)) if p.flags.ack => isns.live_number(a),
            (Some(a), None) if p.flags.ack => Seq(a),
            _ => Seq(0),
        };
        let seg = Segment {
            src_port: port,
            dst_port: self.ports.0,
            seq: REMOTE_ISN + p.seq,
            ack,
            flags,
            // The header field as written: the stack scales it once window scaling is agreed.
            window: p.win.unwrap_or(0).min(u32::from(u16::MAX)) as u16,
            len: p.len,
            opts: self.inbound_options(&p.options, isns),
            // `[ect01]` on an inbound line sends ECT(0).
            ecn: (p.ecn.as_deref())
                .and_then(crate::scan::ecn_mark)
                .map_or(Ecn::NotEct, |marks| marks[0]),
        };
        let to_listener = self
            .stack
            .lookup(seg.dst_port, REMOTE_ADDR, seg.src_port)
            .is_none();
        let closed = self
            .stack
            .listener_on(seg.dst_port)
            .filter(|l| self.closed_listeners.contains(l));
        if to_listener && closed.is_some() {
            return Err(Outcome::Unsupported(format!(
                "line {line}: a segment for a closed listening socket (synack's Stack cannot remove a listener)"
            )));
        }
        self.inject(&seg);
        Ok(())
    }

    /// An outbound line: the next segment sent must match it, in time.
    pub(super) fn outbound(
        &mut self,
        e: &Event,
        p: &Packet,
        (start, end): (i64, i64),
        tolerance: i64,
    ) -> Result<(), Stop> {
        let line = e.span.line;
        // Wait past the expected time, so that a late packet is reported with its time.
        let limit = if end == ANY_TIME {
            us(self.now) + LATE_LIMIT_US
        } else {
            end + tolerance + LATE_LIMIT_US
        };
        let (at, mut seg) = self.next_sent(line, time_of(limit), p, start)?;
        let port = self.remote_port(p);
        // The 4-tuple the segment belongs to: its own port, whatever the line expected.
        let tuple = seg.dst_port;
        if seg.flags.syn() && !self.isns.contains_key(&tuple) {
            // packetdrill's `live.local_isn`, and the script's own (`script.local_isn`),
            // learned from a 4-tuple's first SYN or SYN-ACK and kept: a later connection on
            // the 4-tuple (one that reopens TIME-WAIT) is numbered from the first one's ISN,
            // so its own ISN is checked as a sequence number.
            let script = if p.flags.syn { p.seq } else { 0 };
            self.isns.insert(
                tuple,
                Isns {
                    live: seg.seq,
                    script,
                },
            );
        }
        let isns = self.isns.get(&tuple).copied();
        if self.tso && p.len > seg.len && seg.len > 0 {
            self.coalesce(at, &mut seg, p.len);
        }
        self.learn_ts_offset(p, &seg);
        let actual = self.view(us(at), &seg, p, isns);
        let detail = |expected: &Packet| {
            vec![
                format!("script packet:  {}", script_view(start, expected)),
                format!("actual packet:  {actual}"),
            ]
        };
        if let Some(what) = self.compare(p, &seg, port, isns) {
            return Err(packet_failure(line, what, detail(p)));
        }
        let t = us(at);
        if t < start - tolerance || t > end + tolerance {
            let what = if start == end {
                format!(
                    "timing error: expected outbound packet at {:.6} sec but happened at {:.6} sec; tolerance {:.6} sec",
                    secs(start),
                    secs(t),
                    secs(tolerance)
                )
            } else {
                format!(
                    "timing error: expected outbound packet in time range {:.6}~{:.6} sec but happened at {:.6} sec",
                    secs(start),
                    secs(end),
                    secs(t)
                )
            };
            return Err(packet_failure(line, what, detail(p)));
        }
        self.now = self.now.max(at);
        Ok(())
    }

    /// The next segment sent, running the stack up to `limit` for it.
    fn next_sent(
        &mut self,
        line: u32,
        limit: Time,
        p: &Packet,
        start: i64,
    ) -> Result<(Time, Segment), Stop> {
        loop {
            if let Some(s) = self.sent.pop_front() {
                return Ok(s);
            }
            if !self.step(limit) {
                let what = "Timed out waiting for packet".to_string();
                let detail = vec![format!("script packet:  {}", script_view(start, p))];
                return Err(packet_failure(line, what, detail));
            }
            self.check_pending()?;
        }
    }

    /// Joins the contiguous segments sent at `at` with the same ACK onto `seg`, up to `len`
    /// bytes: one TSO/GSO packet as Linux hands it to packetdrill.
    fn coalesce(&mut self, at: Time, seg: &mut Segment, len: u32) {
        while seg.len < len {
            let Some(&(t, next)) = self.sent.front() else {
                return;
            };
            let joinable = t == at
                && next.seq == seg.seq + seg.len
                && next.ack == seg.ack
                && !seg.flags.fin()
                && !next.flags.syn()
                && !next.flags.rst()
                && next.len > 0;
            if !joinable {
                return;
            }
            self.sent.pop_front();
            seg.len += next.len;
            seg.flags |= next.flags;
            seg.window = next.window;
        }
    }

    /// The script side's port of a packet line.
    fn remote_port(&self, p: &Packet) -> u16 {
        p.remote_port.unwrap_or(self.ports.1)
    }

    /// The first field that differs, packetdrill's way.
    fn compare(
        &self,
        p: &Packet,
        seg: &Segment,
        remote_port: u16,
        isns: Option<Isns>,
    ) -> Option<String> {
        let field = |name: &str, e: u64, a: u64| {
            (e != a).then(|| {
                format!(
                    "live packet field {name}: expected: {e} (0x{e:x}) vs actual: {a} (0x{a:x})"
                )
            })
        };
        let f = seg.flags;
        let rel_seq = local_rel(seg.seq, isns);
        // The segment must belong to the line's 4-tuple.
        field("tcp_src_port", self.ports.0.into(), seg.src_port.into())
            .or_else(|| field("tcp_dst_port", remote_port.into(), seg.dst_port.into()))
            .or_else(|| field("tcp_syn", p.flags.syn.into(), f.syn().into()))
            .or_else(|| field("tcp_fin", p.flags.fin.into(), f.fin().into()))
            .or_else(|| field("tcp_rst", p.flags.rst.into(), f.rst().into()))
            .or_else(|| field("tcp_ack", p.flags.ack.into(), f.ack().into()))
            .or_else(|| field("tcp_ece", p.flags.ece.into(), f.ece().into()))
            .or_else(|| field("tcp_cwr", p.flags.cwr.into(), f.cwr().into()))
            .or_else(|| ecn_mismatch(p, seg))
            .or_else(|| field("tcp_seq", p.seq.into(), rel_seq.into()))
            .or_else(|| field("tcp_payload_len", p.len.into(), seg.len.into()))
            .or_else(|| {
                let a = rel(seg.ack, REMOTE_ISN);
                p.ack
                    .filter(|_| p.flags.ack)
                    .and_then(|e| field("tcp_ack_seq", e.into(), a.into()))
            })
            .or_else(|| {
                p.win
                    .and_then(|w| field("tcp_window", w.into(), seg.window.into()))
            })
            .or_else(|| self.options_mismatch(&p.options, seg))
    }

    /// A sent segment as packetdrill prints it, relative to the ISNs.
    fn view(&self, time_us: i64, seg: &Segment, p: &Packet, isns: Option<Isns>) -> PacketView {
        let elsewhere = seg.dst_port != self.remote_port(p);
        PacketView {
            time_us,
            remote_port: (p.remote_port.is_some() || elsewhere).then_some(seg.dst_port),
            flags: PacketFlags {
                syn: seg.flags.syn(),
                fin: seg.flags.fin(),
                rst: seg.flags.rst(),
                ack: seg.flags.ack(),
                ece: seg.flags.ece(),
                cwr: seg.flags.cwr(),
                // Not modelled by synack: shown as the script has it.
                psh: p.flags.psh,
                ..PacketFlags::default()
            },
            seq: local_rel(seg.seq, isns),
            len: seg.len,
            ack: seg.flags.ack().then(|| rel(seg.ack, REMOTE_ISN)),
            win: Some(u32::from(seg.window)),
            options: Options::List(self.actual_options(seg)),
        }
    }

    /// An inbound line's options as a segment carries them: SACK blocks written relative to
    /// our ISN, a TSecr in the script's timestamp clock translated to ours (packetdrill
    /// rewrites inbound TSecr the same way). Options synack has no model for were turned
    /// away by the scan before the run.
    fn inbound_options(&self, options: &Options, isns: Option<Isns>) -> SegOptions {
        let mut o = SegOptions::default();
        let Options::List(list) = options else {
            return o;
        };
        let local = |a: u32| match isns {
            Some(isns) => isns.live_number(a),
            None => Seq(a),
        };
        for opt in list {
            match *opt {
                TcpOption::Mss(m) => o.mss = Some(m),
                TcpOption::SackPermitted => o.sack_permitted = true,
                TcpOption::WindowScale(w) => o.wscale = Some(w),
                TcpOption::Timestamp { val, ecr } => {
                    let ecr = match (ecr, self.ts_offset) {
                        (0, _) | (_, None) => ecr,
                        (e, Some(off)) => e.wrapping_add(off),
                    };
                    o.timestamp = Some(Timestamp { val, ecr });
                }
                TcpOption::Sack(ref blocks) => {
                    for &(l, r) in blocks {
                        o.sack.push((local(l), local(r)));
                    }
                }
                TcpOption::Nop | TcpOption::Eol | TcpOption::Other(_) => {}
            }
        }
        o
    }

    /// The first outbound TSval the script names fixes the offset between the script's
    /// timestamp clock and synack's.
    fn learn_ts_offset(&mut self, p: &Packet, seg: &Segment) {
        if self.ts_offset.is_some() {
            return;
        }
        let Options::List(list) = &p.options else {
            return;
        };
        let script = list.iter().find_map(|o| match o {
            TcpOption::Timestamp { val, .. } => Some(*val),
            _ => None,
        });
        if let (Some(script), Some(live)) = (script, seg.opts.timestamp) {
            self.ts_offset = Some(live.val.wrapping_sub(script));
        }
    }

    /// The options synack put on a segment, in the script's terms: in Linux's order,
    /// TSval in the script's clock, SACK blocks relative to the remote ISN.
    fn actual_options(&self, seg: &Segment) -> Vec<TcpOption> {
        let o = &seg.opts;
        let mut out = Vec::new();
        out.extend(o.mss.map(TcpOption::Mss));
        if o.sack_permitted {
            out.push(TcpOption::SackPermitted);
        }
        out.extend(o.timestamp.map(|ts| TcpOption::Timestamp {
            val: ts.val.wrapping_sub(self.ts_offset.unwrap_or(0)),
            ecr: ts.ecr,
        }));
        out.extend(o.wscale.map(TcpOption::WindowScale));
        if !o.sack.is_empty() {
            let blocks = (o.sack.as_slice().iter())
                .map(|&(l, r)| (rel(l, REMOTE_ISN), rel(r, REMOTE_ISN)))
                .collect();
            out.push(TcpOption::Sack(blocks));
        }
        out
    }

    /// Compares an expected option list with what was sent: kinds and values, in order,
    /// NOPs and EOL aside. A TSval is compared in the script's clock (its offset is fixed by
    /// the first one), so a later one differs by the time that passed in milliseconds.
    fn options_mismatch(&self, expected: &Options, seg: &Segment) -> Option<String> {
        let expected: Vec<TcpOption> = match expected {
            Options::Any => return None,
            Options::None => Vec::new(),
            Options::List(l) => l.clone(),
        };
        let padding = |o: &&TcpOption| !matches!(o, TcpOption::Nop | TcpOption::Eol);
        let want: Vec<TcpOption> = expected.iter().filter(padding).cloned().collect();
        let got = self.actual_options(seg);
        let same = want.len() == got.len()
            && want.iter().zip(&got).all(|(w, g)| match (w, g) {
                // packetdrill checks TSval only within its tick tolerance; synack's clock
                // ticks each millisecond as Linux's does, so only TSecr must match.
                (TcpOption::Timestamp { ecr: we, .. }, TcpOption::Timestamp { ecr: ge, .. }) => {
                    we == ge
                }
                _ => w == g,
            });
        option_mismatch_text(same, &want, &got)
    }
}

fn option_mismatch_text(same: bool, want: &[TcpOption], got: &[TcpOption]) -> Option<String> {
    (!same).then(|| {
        format!(
            "TCP options differ: expected <{}> vs actual <{}>",
            option_list(want),
            option_list(got)
        )
    })
}

fn script_view(start: i64, p: &Packet) -> PacketView {
    PacketView {
        time_us: start,
        remote_port: p.remote_port,
        flags: p.flags,
        seq: p.seq,
        len: p.len,
        ack: p.ack,
        win: p.win,
        options: p.options.clone(),
    }
}

fn packet_failure(line: u32, what: String, detail: Vec<String>) -> Stop {
    Outcome::Fail(Failure {
        line,
        context: "error handling packet".to_string(),
        what,
        detail,
    })
}

fn secs(us: i64) -> f64 {
    us as f64 / 1e6
}

/// An outbound sequence number as the script writes it: from synack's ISN, plus the
/// script's own ISN (0 in nearly every script); as is before the ISN is known.
fn local_rel(s: Seq, isns: Option<Isns>) -> u32 {
    isns.map_or(s.0, |isns| isns.script_number(s))
}

/// `a - b` in sequence space: a relative sequence number as packetdrill prints it.
fn rel(a: Seq, b: Seq) -> u32 {
    a.0.wrapping_sub(b.0)
}

/// packetdrill's `verify_outbound_live_ecn`: the IP ECN field against the line's mark, if
/// it has one, as the header's two bits (Not-ECT 0, ECT(1) 1, ECT(0) 2, CE 3).
fn ecn_mismatch(p: &Packet, seg: &Segment) -> Option<String> {
    let marks = crate::scan::ecn_mark(p.ecn.as_deref()?)?;
    if marks.contains(&seg.ecn) {
        return None;
    }
    let bits = |e: Ecn| match e {
        Ecn::NotEct => 0,
        Ecn::Ect1 => 1,
        Ecn::Ect0 => 2,
        Ecn::Ce => 3,
    };
    let expected: Vec<String> = marks.iter().map(|&m| format!("0x{:x}", bits(m))).collect();
    Some(format!(
        "live packet field ip_ecn: expected: {} vs actual: 0x{:x}",
        expected.join(" or "),
        bits(seg.ecn)
    ))
}
