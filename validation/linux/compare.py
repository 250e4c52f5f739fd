#!/usr/bin/env python3
"""synack against the real Linux kernel: bulk transfers, handshakes under loss and a short
request/response, through a user-space wire with synack's link semantics.

Run as root, on demand (never from `cargo test`):

    sudo python3 validation/linux/compare.py              # everything, 5 seeds
    sudo python3 validation/linux/compare.py --seeds 2 --loss 0.01 --cc cubic --sack on
    sudo python3 validation/linux/compare.py --seeds 0    # keep the bulk runs, redo the rest
    python3 validation/linux/compare.py selftest          # the wire's model (no root)

Two network namespaces per transfer (client and server), each holding one TUN device; this
process's `wire` role holds both TUN file descriptors and moves packets between them exactly
as one synack link does (crates/link/src/lib.rs): per direction, a drop-tail queue of
`queue` packets that counts the packet being serialised, serialisation at `bandwidth`
behind every earlier packet, then seeded Bernoulli loss (so a lost packet has used its queue
slot and its serialisation time), then the propagation delay. Traffic only ever flows
between the two namespaces made here; every wait has a timeout; namespaces, devices and
processes are removed on the way out, failure included.

The script is stdlib-only Python 3 and also plays the other roles (`wire`, `sender`,
`receiver`, `rr-client`, `rr-server`, `hs-client`, `hs-server`) when re-executed with that
first argument.
See README.md beside it.
"""

import argparse
import concurrent.futures
import csv
import json
import math
import os
import queue
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

from netlab import (HERE, Pair, counters, log, mono, read_line, selftest, sleep_until, sweep_leftovers,
                    synack_bin, synack_runs, wait_ok)

# ---------------------------------------------------------------------------------------
# The experiment, in one place.
# ---------------------------------------------------------------------------------------

LINK = dict(bandwidth_bps=4_000_000, delay_ms=25.0, queue=50)  # both directions
DURATION_S = 30.0
LOSS_RATES = [0.005, 0.01, 0.02]  # on the data direction (client -> server) only
CCS = ["cubic", "reno"]
SACKS = [True, False]

# synack settings per Linux scenario (cc, sack): candidates tried in order, each a dict of
# `--set PATH=VALUE` overrides on top of bulk.toml (profile linux) and a label. The first
# candidate synack accepts is used. When synack gains `congestion = "cubic"` and
# `sack = true` the first candidates start to be accepted and the table says "exact".
SYNACK_SETTINGS = {
    ("cubic", True): [
        ({"tcp.congestion": '"cubic"', "tcp.sack": "true"}, "exact"),
        ({}, "closest: synack has no CUBIC and no SACK yet; linux profile (NewReno)"),
    ],
    ("cubic", False): [
        ({"tcp.congestion": '"cubic"', "tcp.sack": "false"}, "exact"),
        ({"tcp.congestion": '"cubic"'}, "exact (synack without SACK)"),
        ({}, "closest: synack has no CUBIC yet; linux profile (NewReno)"),
    ],
    ("reno", True): [
        ({"tcp.congestion": '"newreno"', "tcp.sack": "true"}, "exact"),
        ({"tcp.congestion": '"newreno"'}, "closest: synack has no SACK yet; NewReno"),
    ],
    ("reno", False): [
        ({"tcp.congestion": '"newreno"', "tcp.sack": "false"}, "exact"),
        ({"tcp.congestion": '"newreno"'}, "exact (synack has no SACK)"),
    ],
}
# Also shown, for context, beside each scenario's linux-profile result.
SYNACK_EXTRA = {"rfc profile": {"tcp.profile": '"rfc"'}}

TARGET_GOODPUT = 0.10  # |synack/Linux - 1| <= 10 %
TARGET_RTO = 0.50  # |synack/Linux - 1| <= 50 %
LADDER_SEGMENTS = 20
RR_REQUEST = 100
RR_RESPONSE = 20_000

HS_LOSS = [0.1]  # handshakes under loss: random loss on both directions
HS_SEEDS = 3
HS_COUNT = 40  # connections per run, one every HS_INTERVAL_S (as handshake.toml)
HS_INTERVAL_S = 0.25

MAX_PARALLEL = 2
PORT = 5001


# ---------------------------------------------------------------------------------------
# Roles: sender / receiver (bulk), rr-client / rr-server (request/response).
# ---------------------------------------------------------------------------------------

TCP_INFO, TCP_CONGESTION = 11, 13
TCP_INFO_FIELDS = (
    "state ca_state retransmits probes backoff options wscale flags "
    "rto ato snd_mss rcv_mss unacked sacked lost retrans fackets last_data_sent last_ack_sent "
    "last_data_recv last_ack_recv pmtu rcv_ssthresh rtt rttvar snd_ssthresh snd_cwnd advmss "
    "reordering rcv_rtt rcv_space total_retrans pacing_rate max_pacing_rate bytes_acked "
    "bytes_received segs_out segs_in notsent_bytes min_rtt data_segs_in data_segs_out "
    "delivery_rate busy_time rwnd_limited sndbuf_limited delivered delivered_ce bytes_sent "
    "bytes_retrans dsack_dups reord_seen rcv_ooopack snd_wnd rcv_wnd rehash total_rto "
    "total_rto_recoveries total_rto_time").split()
TCP_INFO_FMT = "<8B24I4Q6I4Q2I2Q6I2HI"  # struct tcp_info of Linux >= 6.7 (naturally aligned)


def tcp_info(s):
    raw = s.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 512)
    size = struct.calcsize(TCP_INFO_FMT)
    if len(raw) < size:
        return {"raw_len": len(raw)}
    return dict(zip(TCP_INFO_FIELDS, struct.unpack(TCP_INFO_FMT, raw[:size])))


def role_sender(a):
    sleep_until(a.start)
    before = counters()
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, a.cc.encode())
    cc = s.getsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, 16).rstrip(b"\0").decode()
    s.settimeout(10)
    t_connect = mono()
    s.connect((a.dst, PORT))
    t_established = mono()
    s.setblocking(False)
    deadline = a.start + a.duration
    buf = b"\0" * 65536
    written, t_first_write = 0, None
    while True:
        now = mono()
        if now >= deadline:
            break
        _, w, _ = select.select([], [s], [], deadline - now)
        if w:
            if t_first_write is None:
                t_first_write = mono()
            try:
                written += s.send(buf)
            except BlockingIOError:
                pass
    info = tcp_info(s)
    ss = subprocess.run(["ss", "-tin", "dst", a.dst], capture_output=True, text=True, timeout=10).stdout
    after = counters()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    diff = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    json.dump(dict(cc=cc, t_connect=t_connect, t_established=t_established,
                   t_first_write=t_first_write, deadline=deadline, written=written,
                   tcp_info=info, nstat=diff, ss=ss), open(a.out, "w"))


def role_receiver(a):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", PORT))
    ls.listen(8)
    print("listening", flush=True)
    ls.settimeout(max(1.0, a.start + 15 - mono()))
    c, _ = ls.accept()
    c.setblocking(False)
    deadline = a.start + a.duration
    got, t_first, t_last = 0, None, None
    while True:
        now = mono()
        if now >= deadline:
            break
        r, _, _ = select.select([c], [], [], deadline - now)
        if r:
            try:
                b = c.recv(262144)
            except (BlockingIOError, ConnectionResetError):
                continue
            if not b:
                break
            t_last = mono()
            t_first = t_first or t_last
            got += len(b)
    json.dump(dict(bytes=got, t_first_byte=t_first, t_last_byte=t_last), open(a.out, "w"))
    c.close()


def role_rr_server(a):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", PORT))
    ls.listen(8)
    print("listening", flush=True)
    ls.settimeout(15)
    c, _ = ls.accept()
    c.settimeout(15)
    need = RR_REQUEST
    while need > 0:
        b = c.recv(need)
        if not b:
            break
        need -= len(b)
    c.sendall(b"\0" * RR_RESPONSE)
    while c.recv(65536):  # until the client's FIN
        pass
    c.close()


def role_hs_server(a):
    """Accepts connections until the deadline; reads each until EOF (answering the 1-byte
    request) and closes it."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", PORT))
    ls.listen(128)
    ls.setblocking(False)
    print("listening", flush=True)
    deadline = a.start + a.duration
    conns = []
    while mono() < deadline:
        r, _, _ = select.select([ls] + conns, [], [], min(0.5, max(0.0, deadline - mono())))
        for c in r:
            if c is ls:
                try:
                    n, _ = ls.accept()
                    n.setblocking(False)
                    conns.append(n)
                except BlockingIOError:
                    pass
                continue
            try:
                b = c.recv(4096)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                b = b""
            if b:
                try:
                    c.send(b"\0")
                except OSError:
                    pass
            elif b == b"":
                conns.remove(c)
                c.close()


def role_hs_client(a):
    """`count` connections, one every `interval`: each connects (timed), sends a byte, reads
    the byte back and closes. Writes the connect() durations (None: failed)."""
    out = [None] * a.count

    def one(i):
        sleep_until(a.start + i * a.interval)
        s = socket.socket()
        s.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, a.cc.encode())
        s.settimeout(max(1.0, a.start + a.duration - mono()))
        t = mono()
        try:
            s.connect((a.dst, PORT))
            out[i] = mono() - t
            s.sendall(b"\0")
            s.recv(1)
        except OSError:
            pass
        finally:
            s.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(a.count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, a.start + a.duration + 5 - mono()))
    json.dump(dict(connect_s=out), open(a.out, "w"))
    time.sleep(1.0)  # let the last closes reach the wire


def role_rr_client(a):
    sleep_until(a.start)
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, a.cc.encode())
    s.settimeout(15)
    s.connect((a.dst, PORT))
    s.sendall(b"\0" * RR_REQUEST)
    need = RR_RESPONSE
    while need > 0:
        b = s.recv(65536)
        if not b:
            break
        need -= len(b)
    s.close()
    time.sleep(1.0)  # let the close finish on the wire


def linux_bulk(slot, loss, cc, sack, seed, workdir):
    with Pair(slot, loss, seed, sack, workdir, max_seconds=DURATION_S + 60, script=__file__, link=LINK) as pair:
        tag = "%d" % slot
        rout, sout = os.path.join(workdir, "recv%s.json" % tag), os.path.join(workdir, "send%s.json" % tag)
        start = mono() + 1.0
        common = ["--start", repr(start), "--duration", str(DURATION_S)]
        recv = pair.spawn(1, "receiver", "--out", rout, *common)
        if read_line(recv, 10) != "listening":
            raise RuntimeError("receiver did not start")
        send = pair.spawn(0, "sender", "--dst", pair.addr[1], "--cc", cc, "--out", sout, *common)
        wait_ok(send, DURATION_S + 30, "sender")
        wait_ok(recv, 30, "receiver")
        wire = pair.wire_stats()
        s, r = json.load(open(sout)), json.load(open(rout))
    info, ns = s["tcp_info"], s["nstat"]
    span = s["deadline"] - s["t_first_write"]
    return dict(loss=loss, cc=cc, sack=int(sack), seed=seed, cc_used=s["cc"],
                goodput_bps=r["bytes"] * 8 / span, bytes_delivered=r["bytes"],
                retransmits=ns.get("TcpRetransSegs", 0),
                rto_timeouts=info.get("total_rto", ns.get("TcpExtTCPTimeouts", 0)),
                nstat_timeouts=ns.get("TcpExtTCPTimeouts", 0),
                loss_probes=ns.get("TcpExtTCPLossProbes", 0),
                fast_retrans=ns.get("TcpExtTCPFastRetrans", 0),
                spurious_rtos=ns.get("TcpExtTCPSpuriousRTOs", 0),
                dsack_recv=ns.get("TcpExtTCPDSACKRecv", 0),
                wire_data_lost=wire["c2s"].get("data_dropped_loss", 0),
                wire_data_queue_drops=wire["c2s"].get("data_dropped_queue", 0),
                wire_lost_all=wire["c2s"].get("dropped_loss", 0) + wire["c2s"].get("dropped_queue", 0)
                + wire["s2c"].get("dropped_loss", 0) + wire["s2c"].get("dropped_queue", 0),
                wire_data_packets=wire["c2s"].get("data_packets", 0),
                wire_data_retransmitted=wire["c2s"].get("data_retransmitted", 0),
                wire_rt=wire["rt"], total_retrans=info.get("total_retrans"),
                syn_retransmits=max(0, wire["c2s"].get("syn_packets", 1) - 1),
                ss=s["ss"].strip().replace("\n", " "))


def linux_handshakes(slot, loss, seed, workdir):
    """HS_COUNT connections through the wire with `loss` on both directions: connect() times."""
    duration = HS_COUNT * HS_INTERVAL_S + 40
    with Pair(slot, loss, seed, True, workdir, max_seconds=duration + 30, loss_s2c=loss, script=__file__,
              link=LINK) as pair:
        out = os.path.join(workdir, "hs%d.json" % slot)
        start = mono() + 1.0
        common = ["--start", repr(start), "--duration", str(duration)]
        srv = pair.spawn(1, "hs-server", *common)
        if read_line(srv, 10) != "listening":
            raise RuntimeError("hs-server did not start")
        cli = pair.spawn(0, "hs-client", "--dst", pair.addr[1], "--out", out, "--count", str(HS_COUNT),
                         "--interval", str(HS_INTERVAL_S), *common)
        wait_ok(cli, duration + 20, "hs-client")
        wire = pair.wire_stats()
        res = json.load(open(out))["connect_s"]
    return dict(loss=loss, seed=seed, connect_s=res, wire=wire)


def linux_ladder(workdir, cc="cubic", sack=True):
    pcap = os.path.join(HERE, "ladder-linux.pcap")
    with Pair(0, 0.0, 1, sack, workdir, ladder=200, pcap=pcap, max_seconds=60, script=__file__, link=LINK) as pair:
        srv = pair.spawn(1, "rr-server")
        if read_line(srv, 10) != "listening":
            raise RuntimeError("rr-server did not start")
        cli = pair.spawn(0, "rr-client", "--dst", pair.addr[1], "--cc", cc,
                         "--start", repr(mono() + 0.5))
        wait_ok(cli, 30, "rr-client")
        wait_ok(srv, 30, "rr-server")
        return pair.wire_stats()["ladder"]


# ---------------------------------------------------------------------------------------
# synack.
# ---------------------------------------------------------------------------------------


def with_replications(template, reps, loss_rates, workdir, set_duration=True):
    text = open(os.path.join(HERE, template)).read()
    text = re.sub(r"(?m)^replications = \d+", "replications = %d" % reps, text)
    if set_duration:
        text = re.sub(r'(?m)^duration = ".*"', 'duration = "%gs"' % DURATION_S, text)
    text = re.sub(r'(?m)^"link.wan.forward.loss" = \[.*\]',
                  '"link.wan.forward.loss" = [%s]' % ", ".join(repr(x) for x in loss_rates), text)
    path = os.path.join(workdir, template)
    open(path, "w").write(text)
    return path


def synack_scenario(exp, cc, sack, workdir):
    for sets, label in SYNACK_SETTINGS[(cc, sack)]:
        out = tempfile.mkdtemp(dir=workdir)
        rows, err = synack_runs(exp, sets, out)
        if rows is not None:
            return rows, sets, label
        log("synack rejected", sets, err)
    raise RuntimeError("synack accepted none of the settings for %s" % ((cc, sack),))


def synack_ladder(workdir):
    exp = os.path.join(HERE, "ladder.toml")
    p = subprocess.run([synack_bin(), "trace", exp, "--format", "jsonl"], capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("synack trace failed: " + p.stderr)
    lad = subprocess.run([synack_bin(), "trace", exp], capture_output=True, text=True, timeout=120)
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()], lad.stdout


# ---------------------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------------------


def mean_sd(xs):
    xs = [float(x) for x in xs]
    if not xs:
        return float("nan"), float("nan")
    return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def fmt(ms, scale=1.0, digits=2):
    m, s = ms
    return "%.*f ± %.*f" % (digits, m / scale, digits, s / scale)


def pct(a, b):
    if b == 0:
        return float("inf") if a else 0.0
    return (a / b - 1) * 100


def ss_rto_ms(r):
    m = re.search(r"\brto:(\d+(?:\.\d+)?)", r.get("ss") or "")
    return float(m.group(1)) if m else float("nan")


def scenario_name(cc, sack):
    return "%s, SACK %s" % ("CUBIC" if cc == "cubic" else "Reno", "on" if sack else "off")


def compare_point(lr, sr):
    """Linux's and synack's figures at one (scenario, loss) point, and the targets."""
    d = {}
    d["lg"], d["sg"] = mean_sd([r["goodput_bps"] for r in lr]), mean_sd([r["goodput_bps"] for r in sr])
    # Data only: a lost SYN's timeouts and retransmission are left out on both sides (synack
    # counts them apart, in syn_retransmits; Linux in the same counters as data).
    d["lre"] = mean_sd([r["retransmits"] - r["syn_retransmits"] for r in lr])
    d["sre"] = mean_sd([r["retransmits"] for r in sr])
    d["lto"] = mean_sd([r["rto_timeouts"] - r["syn_retransmits"] for r in lr])
    d["sto"] = mean_sd([r["rto_timeouts"] for r in sr])
    d["llost"] = mean_sd([r["wire_data_lost"] + r["wire_data_queue_drops"] for r in lr])
    d["lqd"] = mean_sd([r["wire_data_queue_drops"] for r in lr])
    d["slost"] = mean_sd([r["segments_lost"] for r in sr])
    d["sfr"] = mean_sd([r["fast_retransmits"] for r in sr])
    d["lfr"] = mean_sd([r["fast_retrans"] for r in lr])
    d["gd"], d["rd"], d["td"] = pct(d["sg"][0], d["lg"][0]), pct(d["sre"][0], d["lre"][0]), pct(d["sto"][0], d["lto"][0])
    d["g_ok"] = abs(d["gd"]) <= TARGET_GOODPUT * 100
    d["t_ok"] = abs(d["td"]) <= TARGET_RTO * 100 or max(d["sto"][0], d["lto"][0]) < 1
    sgs = [float(r["goodput_bps"]) for r in sr]
    d["smin"], d["smed"] = min(sgs), statistics.median(sgs)
    d["c_ok"] = d["smin"] >= d["smed"] / 2
    lgs = [r["goodput_bps"] for r in lr]
    d["lmin"], d["lmed"] = min(lgs), statistics.median(lgs)
    d["tlp"] = statistics.mean(r["loss_probes"] for r in lr)
    d["spur"] = statistics.mean(r["spurious_rtos"] for r in lr)
    rtos = [ss_rto_ms(r) for r in lr]
    d["lrto_ms"] = statistics.median(rtos) if rtos else float("nan")
    d["n_l"], d["n_s"] = len(lr), len(sr)
    return d


def ok(b):
    return "" if b else " ✗"


def load_handshakes():
    path = os.path.join(HERE, "linux-handshakes.csv")
    if not os.path.exists(path):
        return []
    runs = {}
    for r in csv.DictReader(open(path)):
        key = (float(r["loss"]), int(r["seed"]))
        runs.setdefault(key, []).append(float(r["connect_s"]) if r["connect_s"] else None)
    return [dict(loss=l, seed=s, connect_s=v) for (l, s), v in sorted(runs.items())]


def nearest_rank(xs, q):
    xs = sorted(xs)
    return xs[max(0, math.ceil(q * len(xs)) - 1)] if xs else float("nan")


def report_handshakes(w, hs):
    w("")
    w("## Handshakes under random loss")
    w("")
    w("%d connections per run, one every %g ms, over the same link with random loss on *both* "
      "directions; each sends a byte, gets a byte back and closes. Linux: the time `connect()` "
      "takes (CUBIC, SACK on; per-seed mean and 99th percentile, nearest rank, then averaged over "
      "seeds). synack: `validation/linux/handshake.toml`, linux profile, `handshake_mean_s` and "
      "`handshake_p99_s` averaged over replications. Raw Linux times: `linux-handshakes.csv`."
      % (HS_COUNT, HS_INTERVAL_S * 1e3))
    w("")
    w("| loss (each way) | runs | Linux mean (s) | synack mean (s) | diff | Linux p99 (s) | synack p99 (s) "
      "| Linux failed | synack failed | Linux: connects taking ≥ 1 s |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for loss, (lr, sr) in sorted(hs.items()):
        lm = statistics.mean(statistics.mean([x for x in r["connect_s"] if x is not None]) for r in lr)
        lp = statistics.mean(nearest_rank([x for x in r["connect_s"] if x is not None], 0.99) for r in lr)
        sm = statistics.mean(float(r["handshake_mean_s"]) for r in sr)
        sp = statistics.mean(float(r["handshake_p99_s"]) for r in sr)
        lf = sum(x is None for r in lr for x in r["connect_s"])
        sf = sum(int(r["conn_failed"]) for r in sr)
        allx = [x for r in lr for x in r["connect_s"] if x is not None]
        slow = sum(x >= 1.0 for x in allx)
        w("| %g %% | %d · %d | %.3f | %.3f | %+.0f %% | %.2f | %.2f | %d | %d | %d of %d |"
          % (loss * 100, len(lr), len(sr), lm, sm, pct(sm, lm), lp, sp, lf, sf, slow, len(allx)))


def report(linux, synack, ladders, args, started, finished, hs=None):
    L = []
    w = L.append
    w("# synack against Linux: loss sweeps and a short connection")
    w("")
    w("Generated by `validation/linux/compare.py` (run as root; see README.md); do not edit by hand.")
    w("")
    w("Connection management (SYN floods with and without cookies, the server's TIME-WAIT, SYN and SYN-ACK "
      "retransmission schedules, tcp_tw_reuse) is compared in [connections-results.md](connections-results.md), "
      "by `connections.py`.")
    w("")
    nseeds = sorted({r["seed"] for r in linux})
    w("- **Linux** %s, in two network namespaces joined by TUN devices and the script's user-space "
      "wire with synack's link semantics, each direction: drop-tail queue of %d packets (the one "
      "being serialised included), serialisation at %.0f Mbps, then Bernoulli loss (a lost packet "
      "has used its queue slot and its serialisation time), then %.0f ms of delay. Loss on the data "
      "direction only. %.0f s transfers; seeds %s per point. Default sysctls of a fresh namespace "
      "(timestamps, so MSS 1448; delayed ACKs with quick-ACK; RACK/TLP; F-RTO; autotuned buffers) "
      "except `tcp_sack`; CC chosen per socket (TCP_CONGESTION)."
      % (os.uname().release, LINK["queue"], LINK["bandwidth_bps"] / 1e6, LINK["delay_ms"], DURATION_S,
         ", ".join(str(s) for s in nseeds)))
    w("- **Goodput** as synack defines `goodput_bps`: bytes the receiving application read by the "
      "end of the run · 8 over the time from the first write to that end. **Retransmissions**: "
      "`TcpRetransSegs` of the sender's namespace (nstat). **RTOs**: `tcpi_total_rto` (TCP_INFO; "
      "equal to the namespace's `TcpExtTCPTimeouts` in %d of %d runs). Both for data only: a lost "
      "SYN's timeout and retransmission (%d runs; the wire counts SYNs) are subtracted, as synack "
      "counts those apart (`syn_retransmits`). **Lost**: data segments the wire dropped "
      "(random loss + queue overflow); synack: `segments_lost`." % (
        sum(r["rto_timeouts"] == r["nstat_timeouts"] for r in linux), len(linux),
        sum(r["syn_retransmits"] > 0 for r in linux)))
    w("- **synack**: `validation/linux/bulk.toml` (linux profile), the same link, %d replications "
      "per point; per-scenario settings from `SYNACK_SETTINGS` at the top of compare.py (shown "
      "under each scenario; \"closest\" where synack cannot express the scenario yet)." % args.reps)
    w("- **Targets** (issue 11): goodput within ±%d %% of Linux; RTO count within ±%d %% (waived "
      "when both means are below 1); no synack run below half the median of its seeds. ✗ marks a "
      "miss." % (TARGET_GOODPUT * 100, TARGET_RTO * 100))
    fid = []
    for loss in args.loss:
        x = [r["wire_data_lost"] / max(r["wire_data_packets"], 1) for r in linux if abs(r["loss"] - loss) < 1e-12]
        if x:
            fid.append("%.2f %% at %g %%" % (statistics.mean(x) * 100, loss * 100))
    mr = [float(m.group(1)) for m in (re.search(r"minrtt:([\d.]+)", r.get("ss") or "") for r in linux) if m]
    ideal = 2 * (LINK["delay_ms"] + 60 * 8 / LINK["bandwidth_bps"] * 1e3)
    if fid or mr:
        w("- **Wire fidelity**: random loss measured on the data direction %s (configured); Linux's "
          "minimum RTT (the handshake's, from `ss`) %.2f ms median against the wire's ideal %.2f ms "
          "for two 60-byte packets, so the TUN devices and the Python wire add about %.2f ms per "
          "direction." % ("; ".join(fid), statistics.median(mr) if mr else float("nan"), ideal,
                          ((statistics.median(mr) - ideal) / 2) if mr else float("nan")))
    w("- Report generated %s → %s UTC (Linux transfers from `linux-runs.csv`, synack run afresh)."
      % (started, finished))
    w("")
    points = {}
    for (cc, sack), (srows, sets, label, extra) in synack.items():
        for loss in args.loss:
            lr = [r for r in linux if abs(r["loss"] - loss) < 1e-12 and r["cc"] == cc and r["sack"] == int(sack)]
            sr = [r for r in srows if abs(float(r["link.wan.forward.loss"]) - loss) < 1e-12]
            if lr and sr:
                points[(cc, sack, loss)] = compare_point(lr, sr)
    w("## Summary")
    w("")
    w("synack (linux profile) against Linux: goodput difference and RTO counts (mean over seeds).")
    w("")
    w("| scenario | synack settings | " + " | ".join("%g %% loss" % (l * 100) for l in args.loss) + " |")
    w("|---|---|" + "---|" * len(args.loss))
    for (cc, sack), (srows, sets, label, extra) in synack.items():
        cells = []
        for loss in args.loss:
            d = points.get((cc, sack, loss))
            if not d:
                cells.append("—")
                continue
            cells.append("goodput %+.0f %%%s; RTOs %.1f vs %.1f%s%s" % (
                d["gd"], ok(d["g_ok"]), d["sto"][0], d["lto"][0], ok(d["t_ok"]),
                "" if d["c_ok"] else "; collapse ✗"))
        w("| %s | %s | %s |" % (scenario_name(cc, sack), label.split(":")[0], " | ".join(cells)))
    w("")
    w("![goodput against loss: Linux's points, synack's curve](goodput.svg)")
    w("")
    w("## Bulk transfers, per scenario")
    for (cc, sack), (srows, sets, label, extra) in synack.items():
        w("")
        w("### %s" % scenario_name(cc, sack))
        w("")
        w("synack: `%s` — %s." % (" ".join("--set %s=%s" % kv for kv in sets.items()) or
                                  "profile linux, defaults", label))
        w("")
        w("| loss | Linux goodput (Mb/s) | synack goodput (Mb/s) | diff | Linux RTOs | synack RTOs | diff "
          "| synack min / median (Mb/s) | Linux min / median (Mb/s) |")
        w("|---|---|---|---|---|---|---|---|---|")
        for loss in args.loss:
            d = points.get((cc, sack, loss))
            if not d:
                continue
            w("| %g %% | %s | %s | %+.1f %%%s | %s | %s | %+.0f %%%s | %.2f / %.2f%s | %.2f / %.2f |" % (
                loss * 100, fmt(d["lg"], 1e6), fmt(d["sg"], 1e6), d["gd"], ok(d["g_ok"]),
                fmt(d["lto"], 1, 1), fmt(d["sto"], 1, 1), d["td"], ok(d["t_ok"]),
                d["smin"] / 1e6, d["smed"] / 1e6, ok(d["c_ok"]), d["lmin"] / 1e6, d["lmed"] / 1e6))
        w("")
        w("| loss | Linux retrans | synack retrans | diff | Linux lost (of which queue) | synack lost "
          "| retrans / lost, Linux · synack | Linux fast retrans · synack | Linux TLP probes | Linux spurious RTOs "
          "| Linux RTO at the end (ss, ms) | rfc profile: goodput (Mb/s) · RTOs |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for loss in args.loss:
            d = points.get((cc, sack, loss))
            if not d:
                continue
            ex = extra.get(loss)
            w("| %g %% | %s | %s | %+.0f %% | %s (%.0f) | %s | %.2f · %.2f | %.0f · %.0f | %.1f | %.1f | %.0f | %s |" % (
                loss * 100, fmt(d["lre"], 1, 0), fmt(d["sre"], 1, 0), d["rd"], fmt(d["llost"], 1, 0), d["lqd"][0],
                fmt(d["slost"], 1, 0), d["lre"][0] / max(d["llost"][0], 1), d["sre"][0] / max(d["slost"][0], 1),
                d["lfr"][0], d["sfr"][0], d["tlp"], d["spur"], d["lrto_ms"],
                "%.2f · %.1f" % (ex[0] / 1e6, ex[1]) if ex else "—"))
    w("")
    w("Every Linux transfer (goodput, counters, `ss -ti` at the end) is in `linux-runs.csv`; the "
      "goodput points alone, for a chart, in `linux-goodput.csv`.")
    if hs:
        report_handshakes(w, hs)
    if ladders:
        lin, syn_text, syn_rows = ladders
        w("")
        w("## The first %d segments of a short request/response" % LADDER_SEGMENTS)
        w("")
        w("A %d-byte request and a %d-byte response over the same link without loss; the client "
          "closes after the response. Linux: CUBIC, SACK on, captured by the wire (the instant a "
          "segment entered it; `ladder-linux.pcap` has the whole capture, `ladder-linux.json` the "
          "parsed headers). synack: `validation/linux/ladder.toml`, linux profile "
          "(`synack trace validation/linux/ladder.toml --format jsonl`). → client to server, "
          "← server to client; seq/ack relative to each side's ISN; Linux's `win` is the raw "
          "field (scaled by 2^WS after the SYNs), and so is synack's (its options are in the jsonl trace)."
          % (RR_REQUEST, RR_RESPONSE))
        w("")
        w("| # | Linux t (ms) | Linux segment | synack t (ms) | synack segment |")
        w("|---|---|---|---|---|")
        for i in range(LADDER_SEGMENTS):
            a = lin[i] if i < len(lin) else None
            b = syn_rows[i] if i < len(syn_rows) else None
            w("| %d | %s | %s | %s | %s |" % (i + 1, "%.1f" % (a["t"] * 1e3) if a else "", a["text"] if a else "",
                                               "%.1f" % (b["t"] * 1e3) if b else "", b["text"] if b else ""))
        w("")
        w("synack's own ladder of the same connection:")
        w("")
        w("```")
        w("\n".join(syn_text.splitlines()[:LADDER_SEGMENTS + 4]))
        w("```")
    with open(os.path.join(HERE, "results.md"), "w") as f:
        f.write("\n".join(L) + "\n")


def chart(linux, synack, args):
    """goodput.svg: Linux's measured points beside synack's linux profile (stdlib SVG)."""
    W, H, ml, mr, mt, mb = 720, 440, 70, 200, 40, 55
    losses = sorted(args.loss)
    lo, hi = math.log10(losses[0] / 1.4), math.log10(losses[-1] * 1.4)
    ys = [r["goodput_bps"] for r in linux] + [float(r["goodput_bps"]) for v in synack.values() for r in v[0]]
    ymax = max(ys + [1]) / 1e6 * 1.1

    def X(loss):
        return ml + (math.log10(loss) - lo) / (hi - lo) * (W - ml - mr)

    def Y(mbps):
        return mt + (1 - mbps / ymax) * (H - mt - mb)

    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="22" font-size="14">Bulk goodput against random loss: Linux %s measured, synack simulated</text>'
         % (ml, os.uname().release.split("-")[0]),
         '<text x="%d" y="%d" text-anchor="middle">loss probability (data direction); 4 Mbps, RTT 50 ms, 50-packet queue, %g s</text>'
         % ((ml + W - mr) / 2, H - 12, DURATION_S),
         '<text transform="translate(18,%d) rotate(-90)" text-anchor="middle">goodput (Mb/s)</text>' % ((mt + H - mb) / 2),
         '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, H - mb, W - mr, H - mb),
         '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, mt, ml, H - mb)]
    for loss in losses:
        o.append('<text x="%.1f" y="%d" text-anchor="middle">%g %%</text>' % (X(loss), H - mb + 16, loss * 100))
    step = 0.5 if ymax <= 5 else 1.0
    v = 0.0
    while v <= ymax:
        o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (ml, Y(v), W - mr, Y(v)))
        o.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (ml - 6, Y(v) + 4, v))
        v += step
    colours = {("cubic", True): "#1f77b4", ("cubic", False): "#17becf", ("reno", True): "#ff7f0e",
               ("reno", False): "#d62728"}
    legend = []
    for k, (cc, sack) in enumerate(colours):
        col = colours[(cc, sack)]
        pts = [r for r in linux if r["cc"] == cc and r["sack"] == int(sack)]
        if not pts:
            continue
        dx = (k - 1.5) * 4
        for r in pts:
            o.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s" fill-opacity="0.6"/>' % (X(r["loss"]) + dx, Y(r["goodput_bps"] / 1e6), col))
        means = [(l, statistics.mean(r["goodput_bps"] for r in pts if abs(r["loss"] - l) < 1e-12) / 1e6)
                 for l in losses if any(abs(r["loss"] - l) < 1e-12 for r in pts)]
        o.append('<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>'
                 % (col, " ".join("%.1f,%.1f" % (X(l), Y(m)) for l, m in means)))
        legend.append((col, "", "Linux %s" % scenario_name(cc, sack)))
    drawn = {}
    for (cc, sack), (srows, sets, label, extra) in synack.items():
        key = tuple(sorted(sets.items()))
        if key in drawn:
            drawn[key].append(scenario_name(cc, sack))
            continue
        drawn[key] = [scenario_name(cc, sack)]
        means = []
        for l in losses:
            g = [float(r["goodput_bps"]) / 1e6 for r in srows if abs(float(r["link.wan.forward.loss"]) - l) < 1e-12]
            if g:
                m, s = mean_sd(g)
                means.append((l, m))
                o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>' % (X(l), Y(m - s), X(l), Y(m + s)))
        dash = ' stroke-dasharray="5,3"' if len(drawn) > 1 else ""
        o.append('<polyline fill="none" stroke="black" stroke-width="2"%s points="%s"/>'
                 % (dash, " ".join("%.1f,%.1f" % (X(l), Y(m)) for l, m in means)))
        legend.append(("black", dash, "synack " + (" ".join("%s=%s" % kv for kv in sets.items()).replace('"', "") or "linux profile")))
    for i, (col, dash, text) in enumerate(legend):
        y = mt + 10 + i * 18
        o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>' % (W - mr + 10, y, W - mr + 30, y, col, dash))
        o.append('<text x="%d" y="%d" font-size="11">%s</text>' % (W - mr + 34, y + 4, text.replace("&", "&amp;")))
    o.append("</svg>")
    with open(os.path.join(HERE, "goodput.svg"), "w") as f:
        f.write("\n".join(o) + "\n")


def linux_ladder_rows(recs):
    """Linux's captured packets as ladder rows, seq/ack relative to each side's ISN."""
    isn = {}
    rows = []
    for r in recs:
        side = "c" if r["dir"] == "c2s" else "s"
        if r["syn"]:
            isn.setdefault(side, r["seq"])
        other = "s" if side == "c" else "c"
        seq = (r["seq"] - isn.get(side, r["seq"])) % 2**32
        ack = (r["ack"] - isn[other]) % 2**32 if other in isn and "ACK" in r["flags"] else None
        arrow = "→" if side == "c" else "←"
        txt = "%s %s seq=%d%s len=%d win=%d%s" % (
            arrow, r["flags"], seq, "" if ack is None else " ack=%d" % ack, r["len"], r["win"],
            (" [" + " ".join(r["opts"]) + "]") if r["opts"] else "")
        if r["fate"] != "delivered":
            txt += " (%s)" % r["fate"]
        rows.append(dict(t=r["t"], text=txt))
    return rows


def synack_ladder_rows(events):
    """synack's jsonl sends (ev = send; t in ns) as ladder rows, seq/ack relative."""
    rows, isn = [], {}
    for e in events:
        if e.get("ev") != "send":
            continue
        side = "c" if e.get("host") == "client" else "s"
        flags = e.get("flags", "")
        if "SYN" in flags:
            isn.setdefault(side, e["seq"])
        other = "s" if side == "c" else "c"
        rs = (e["seq"] - isn.get(side, e["seq"])) % 2**32
        ra = (e["ack"] - isn[other]) % 2**32 if ("ACK" in flags and other in isn) else None
        opts = ["MSS=%s" % e["mss"]] if e.get("mss") else []
        txt = "%s %s seq=%d%s len=%d win=%s%s" % ("→" if side == "c" else "←", flags, rs,
                                                 "" if ra is None else " ack=%d" % ra, e.get("len", 0),
                                                 e.get("wnd", "?"), (" [" + " ".join(opts) + "]") if opts else "")
        rows.append(dict(t=e["t"] / 1e9, text=txt))
    return rows


# ---------------------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------------------


def main_compare(args):
    if os.geteuid() != 0:
        sys.exit("compare.py needs root (namespaces and TUN devices)")
    try:
        run_compare(args)
    finally:
        sweep_leftovers("slv", MAX_PARALLEL)


def run_compare(args):
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    workdir = tempfile.mkdtemp(prefix="synack-linuxval-")
    jobs = [(loss, cc, sack, seed) for loss in args.loss for cc in args.cc for sack in args.sack
            for seed in range(args.first_seed, args.first_seed + args.seeds)]
    linux = []
    if jobs and not args.synack_only:
        slots = queue.Queue()
        for k in range(MAX_PARALLEL):
            slots.put(k)
        lock = threading.Lock()
        hard_end = mono() + args.max_minutes * 60

        def one(job):
            if mono() > hard_end:
                return None
            slot = slots.get(timeout=600)
            try:
                d = os.path.join(workdir, "s%d" % slot)
                os.makedirs(d, exist_ok=True)
                for attempt in (1, 2):
                    try:
                        r = linux_bulk(slot, *job, d)
                        break
                    except Exception as e:  # one retry: a transient setup failure
                        log("run", job, "attempt", attempt, "failed:", e)
                        r = None
                if r:
                    with lock:
                        log("linux loss=%g %s sack=%d seed=%d: %.3f Mb/s, %d retrans, %d RTO (%d SYN), %d lost"
                            % (r["loss"], r["cc"], r["sack"], r["seed"], r["goodput_bps"] / 1e6,
                               r["retransmits"], r["rto_timeouts"], r["syn_retransmits"],
                               r["wire_data_lost"] + r["wire_data_queue_drops"]))
                return r
            finally:
                slots.put(slot)

        ex = concurrent.futures.ThreadPoolExecutor(MAX_PARALLEL)
        try:
            futures = [ex.submit(one, job) for job in jobs]
            linux = [r for r in (f.result() for f in futures) if r]
        finally:
            # On an interrupt: start nothing more, let the (bounded) transfers under way
            # finish and clean up after themselves.
            ex.shutdown(wait=True, cancel_futures=True)
        save_linux(linux, args)
    else:
        linux = load_linux()
        if linux:
            save_linux(linux, args)  # rewrites it in the current column order
    hs_linux = []
    if args.handshakes and not args.synack_only:
        hs_jobs = [(loss, seed) for loss in args.hs_loss for seed in range(1, args.hs_seeds + 1)]
        slots = queue.Queue()
        for k in range(MAX_PARALLEL):
            slots.put(k)

        def one_hs(job):
            slot = slots.get(timeout=600)
            try:
                d = os.path.join(workdir, "h%d" % slot)
                os.makedirs(d, exist_ok=True)
                r = linux_handshakes(slot, *job, d)
                ok = [x for x in r["connect_s"] if x is not None]
                log("linux handshakes loss=%g seed=%d: %d of %d, mean %.3f s"
                    % (job[0], job[1], len(ok), len(r["connect_s"]), statistics.mean(ok) if ok else float("nan")))
                return r
            finally:
                slots.put(slot)

        ex = concurrent.futures.ThreadPoolExecutor(MAX_PARALLEL)
        try:
            futures = [ex.submit(one_hs, job) for job in hs_jobs]
            hs_linux = [f.result() for f in futures]
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
        with open(os.path.join(HERE, "linux-handshakes.csv"), "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["loss", "seed", "conn", "connect_s"])
            for r in hs_linux:
                for i, x in enumerate(r["connect_s"]):
                    wr.writerow([r["loss"], r["seed"], i, "" if x is None else "%.6f" % x])
    elif args.handshakes:
        hs_linux = load_handshakes()
    hs = None
    if hs_linux:
        hs = {}
        hexp = with_replications("handshake.toml", max(args.hs_seeds, len({r["seed"] for r in hs_linux})),
                                 [], workdir, set_duration=False)
        for loss in sorted({r["loss"] for r in hs_linux}):
            rows, err = synack_runs(hexp, {"link.wan.loss": repr(loss)}, tempfile.mkdtemp(dir=workdir))
            if rows is None:
                raise RuntimeError("synack handshake run failed: %s" % err)
            hs[loss] = ([r for r in hs_linux if r["loss"] == loss], rows)
    ladders = None
    if args.ladder:
        recs = linux_ladder(workdir)
        events, text = synack_ladder(workdir)
        ladders = (linux_ladder_rows(recs), text, synack_ladder_rows(events))
        json.dump(recs, open(os.path.join(HERE, "ladder-linux.json"), "w"), indent=0)
    reps = max(args.seeds, len({r["seed"] for r in linux}))
    args.reps = reps
    exp = with_replications("bulk.toml", reps, args.loss, workdir)
    synack = {}
    for cc in args.cc:
        for sack in args.sack:
            rows, sets, label = synack_scenario(exp, cc, sack, workdir)
            extra = {}
            for _, xs in SYNACK_EXTRA.items():
                xr, _ = synack_runs(exp, {**sets, **xs}, tempfile.mkdtemp(dir=workdir))
                for loss in args.loss:
                    rr = [r for r in xr or [] if abs(float(r["link.wan.forward.loss"]) - loss) < 1e-12]
                    if rr:
                        extra[loss] = (statistics.mean(float(r["goodput_bps"]) for r in rr),
                                       statistics.mean(float(r["rto_timeouts"]) for r in rr))
            synack[(cc, sack)] = (rows, sets, label, extra)
    report(linux, synack, ladders, args, started, time.strftime("%Y-%m-%d %H:%M", time.gmtime()), hs)
    chart(linux, synack, args)
    shutil.rmtree(workdir, ignore_errors=True)
    log("wrote", os.path.join(HERE, "results.md"))


LINUX_COLS = ["loss", "cc", "sack", "seed", "cc_used", "goodput_bps", "bytes_delivered", "retransmits",
              "rto_timeouts", "nstat_timeouts", "loss_probes", "fast_retrans", "spurious_rtos", "dsack_recv",
              "wire_data_lost", "wire_data_queue_drops", "wire_lost_all", "wire_data_packets",
              "wire_data_retransmitted", "wire_rt", "total_retrans", "syn_retransmits", "ss"]


def save_linux(rows, args):
    path = os.path.join(HERE, "linux-runs.csv")
    old = []
    if os.path.exists(path) and args.merge:  # keep earlier results of scenarios not rerun
        keys = {(r["loss"], r["cc"], r["sack"], r["seed"]) for r in rows}
        old = [r for r in load_linux() if (r["loss"], r["cc"], r["sack"], r["seed"]) not in keys]
    rows[:] = sorted(old + rows, key=lambda r: (r["cc"], -r["sack"], r["loss"], r["seed"]))
    with open(path, "w", newline="") as f:
        wr = csv.DictWriter(f, LINUX_COLS)
        wr.writeheader()
        for r in rows:
            wr.writerow({k: r.get(k) for k in LINUX_COLS})
    with open(os.path.join(HERE, "linux-goodput.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["loss", "cc", "sack", "seed", "goodput_bps"])
        for r in rows:
            wr.writerow([r["loss"], r["cc"], r["sack"], r["seed"], "%.0f" % r["goodput_bps"]])


def load_linux():
    path = os.path.join(HERE, "linux-runs.csv")
    if not os.path.exists(path):
        return []
    out = []
    for r in csv.DictReader(open(path)):
        for k in ("loss", "goodput_bps"):
            r[k] = float(r[k])
        for k in ("sack", "seed", "retransmits", "rto_timeouts", "nstat_timeouts", "loss_probes", "fast_retrans",
                  "spurious_rtos", "dsack_recv", "wire_data_lost", "wire_data_queue_drops", "wire_lost_all",
                  "wire_data_packets", "wire_data_retransmitted"):
            r[k] = int(r[k])
        if r.get("syn_retransmits") in (None, ""):
            # Rows from before the wire counted SYNs: every retransmission that was not of
            # data (the wire counts those) was of the SYN.
            r["syn_retransmits"] = max(0, r["retransmits"] - r["wire_data_retransmitted"])
        r["syn_retransmits"] = int(r["syn_retransmits"])
        out.append(r)
    return out


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "selftest":
        selftest()
        return
    if len(sys.argv) > 1 and sys.argv[1] in ("sender", "receiver", "rr-client", "rr-server",
                                              "hs-client", "hs-server"):
        role = sys.argv[1]
        p = argparse.ArgumentParser(prog="compare.py " + role)
        p.add_argument("--dst")
        p.add_argument("--cc", default="cubic")
        p.add_argument("--out")
        p.add_argument("--start", type=float, default=0)
        p.add_argument("--duration", type=float, default=DURATION_S)
        p.add_argument("--count", type=int, default=HS_COUNT)
        p.add_argument("--interval", type=float, default=HS_INTERVAL_S)
        a = p.parse_args(sys.argv[2:])
        signal.alarm(int(a.duration + 60) + 30)  # bounded, always
        {"sender": role_sender, "receiver": role_receiver,
         "rr-client": role_rr_client, "rr-server": role_rr_server,
         "hs-client": role_hs_client, "hs-server": role_hs_server}[role](a)
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=5, help="Linux seeds per point (and synack replications)")
    p.add_argument("--first-seed", type=int, default=1, help="with --merge, add seeds to an earlier run")
    p.add_argument("--loss", type=float, nargs="+", default=LOSS_RATES)
    p.add_argument("--cc", nargs="+", default=CCS, choices=CCS)
    p.add_argument("--sack", nargs="+", default=["on", "off"], choices=["on", "off"])
    p.add_argument("--no-ladder", dest="ladder", action="store_false")
    p.add_argument("--no-handshakes", dest="handshakes", action="store_false")
    p.add_argument("--hs-loss", type=float, nargs="+", default=HS_LOSS)
    p.add_argument("--hs-seeds", type=int, default=HS_SEEDS)
    p.add_argument("--synack-only", action="store_true", help="reuse linux-runs.csv, rerun synack only")
    p.add_argument("--merge", action="store_true", help="keep earlier linux-runs.csv rows not rerun")
    p.add_argument("--duration", type=float, default=DURATION_S, help="seconds per transfer (30 s in the issue)")
    p.add_argument("--max-minutes", type=float, default=90, help="start no Linux run after this")
    args = p.parse_args()

    def terminate(*_):
        raise KeyboardInterrupt  # the same orderly path as Ctrl-C

    signal.signal(signal.SIGTERM, terminate)
    args.sack = [s == "on" for s in args.sack]
    globals()["DURATION_S"] = args.duration
    try:
        main_compare(args)
    except KeyboardInterrupt:
        log("interrupted: transfers under way finished, namespaces and devices removed, results not written")
        sys.exit(130)


if __name__ == "__main__":
    main()
