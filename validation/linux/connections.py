#!/usr/bin/env python3
"""synack against the real Linux kernel: connection management (issue 12) — legitimate
connects under a SYN flood with and without cookies, repeated connects into the server's
TIME-WAIT, the SYN and SYN-ACK retransmission schedules, and tcp_tw_reuse.

Run as root, on demand (never from `cargo test`):

    sudo python3 validation/linux/connections.py                  # everything: about 15 min
    sudo python3 validation/linux/connections.py --only flood --flood-rates 100 1000
    python3 validation/linux/connections.py --synack-only         # no root: reuse the Linux CSVs

Each Linux run is two network namespaces joined by netlab.py's wire (synack's link
semantics; see README.md), with sysctls set only inside the namespaces. This file also plays
the roles run inside them (`conn-server`, `conn-client`, `watch`) when re-executed with
that first argument. synack's side is the conn-*.toml files beside it. Results:
connections-results.md, and the Linux data in linux-conn-*.csv. Stdlib-only Python 3.
"""

import argparse
import concurrent.futures
import csv
import errno
import json
import os
import queue
import random
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from netlab import (ADDRS, HERE, Pair, counters, log, mono, read_line, sh, sleep_until, sweep_leftovers,
                    synack_bin, synack_runs, wait_ok)

PORT = 5001
PREFIX = "slx"  # namespaces slx<k>c / slx<k>s, devices slxt<k>c / slxt<k>s (compare.py: slv)
MAX_PARALLEL = 4  # runs at once: they are mostly idle (timers), unlike compare.py's transfers
REQUEST, RESPONSE = 100, 1000

# 1. SYN flood (conn-flood.toml must agree).
FLOOD_LINK = dict(bandwidth_bps=100_000_000, delay_ms=10.0, queue=1000)
FLOOD_RATES = [1, 10, 30, 100, 300, 1000]  # spoofed SYNs a second
FLOOD_SEEDS = 2  # Linux runs per (rate, cookies)
FLOOD_WARMUP_S = 70.0  # the SYN queue in its steady state: an entry lives at most 63 s
FLOOD_LEGIT_S = 30.0  # legitimate connects: Poisson, FLOOD_LEGIT_RATE a second, for 30 s...
FLOOD_LEGIT_RATE = 1.0
FLOOD_TAIL_S = 20.0  # ...and a connect not established 20 s after the window closes has failed
FLOOD_JITTER_MS = 2.0
BACKLOG = 128
TARGET_PP = 10.0  # issue 12: synack's share of legitimate connects within ±10 points of Linux's

# 2. Server-side TIME-WAIT (conn-tw-server.toml).
TW_LINK = dict(bandwidth_bps=100_000_000, delay_ms=1.0, queue=1000)
TWS_COUNT, TWS_RATE, TWS_PORTS, TWS_FIRST_PORT = 200, 20.0, 10, 50000

# 3. SYN and SYN-ACK schedules (conn-syn-schedule.toml, conn-synack-schedule.toml,
# conn-synack-timer.toml): what the wire drops, and how long to watch.
SCHED_LINK = dict(bandwidth_bps=100_000_000, delay_ms=10.0, queue=1000)
SCHEDULES = {
    "syn-dropped": dict(drop=["c2s:syn"], duration=140.0, toml="conn-syn-schedule.toml",
                        what="every SYN dropped"),
    "synack-dropped": dict(drop=["s2c:synack"], duration=140.0, toml="conn-synack-schedule.toml",
                           what="every SYN-ACK dropped (the client keeps retransmitting its SYN)"),
    "ack-dropped": dict(drop=["c2s:nonsyn"], duration=75.0, toml="conn-synack-timer.toml",
                        what="everything the client sends after its SYN dropped (its final ACK)"),
}

# 4. tcp_tw_reuse on the client (conn-tw-reuse.toml).
TWR_PORTS = [2, 8]
TWR_RATE, TWR_SECONDS, TWR_FIRST_PORT = 50.0, 10.0, 50000
# synack's key for Linux's tcp_tw_reuse: candidates tried in order (the first accepted is
# used); none accepted means synack cannot express the scenario yet.
TW_REUSE_SETTINGS = {
    True: [{"host.client.tcp.tw_reuse": "true"}, {"host.client.tcp.tw_reuse": "1"}],
    False: [{"host.client.tcp.tw_reuse": "false"}, {"host.client.tcp.tw_reuse": "0"}, {}],
}

# Sysctls set inside the namespaces. All are per network namespace in Linux 6.x; the host's
# values are read before and after every run and restored (with a warning) if one moved.
NS_SYSCTLS = ["net.ipv4.tcp_syncookies", "net.ipv4.tcp_tw_reuse", "net.ipv4.tcp_timestamps",
              "net.ipv4.ip_local_port_range", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter",
              "net.ipv4.tcp_sack", "net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"]


# ---------------------------------------------------------------------------------------
# Roles, run inside a namespace.
# ---------------------------------------------------------------------------------------


def nstat_diff(before):
    after = counters()
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def role_conn_server(a):
    """Accepts until the deadline; reads each connection's request, answers with the
    response, and closes it at once (closer = server) or after the client's FIN."""
    before = counters()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", PORT))
    ls.listen(a.backlog)
    ls.setblocking(False)
    print("listening", flush=True)
    pending = {}  # connection -> request bytes still expected; None once answered
    accepted = 0
    while mono() < a.deadline:
        r, _, _ = select.select([ls] + list(pending), [], [], min(0.2, max(0.0, a.deadline - mono())))
        for c in r:
            if c is ls:
                while True:
                    try:
                        n, _ = ls.accept()
                    except (BlockingIOError, ConnectionAbortedError):
                        break
                    n.setblocking(False)
                    pending[n] = a.request
                    accepted += 1
                continue
            try:
                b = c.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                b = b""
            if not b:  # the client's FIN (or a reset)
                del pending[c]
                c.close()
                continue
            if pending[c] is None:
                continue
            pending[c] -= len(b)
            if pending[c] <= 0:
                pending[c] = None
                try:
                    c.send(b"\0" * a.response)  # fits the empty send buffer
                except OSError:
                    pass
                if a.closer == "server":
                    del pending[c]
                    c.close()
    for c in pending:
        c.close()
    ls.close()
    json.dump(dict(accepted=accepted, nstat=nstat_diff(before)), open(a.out, "w"))


def role_conn_client(a):
    """Connects at the plan's instants (offsets from --start), from the plan's ports if it
    names them; each connect is timed, sends the request, reads the response and closes
    (closer = client) or waits for the server's FIN first. `hold`: connect only, and keep
    the connection until the deadline. Nothing outlives the deadline."""
    before = counters()
    plan = json.load(open(a.plan))
    offsets, ports = plan["offsets"], plan.get("ports")
    out = [None] * len(offsets)

    def one(i):
        rec = dict(conn=i, start_s=offsets[i], port="", connect_s="", connect_end_s="", complete=0, error="")
        s = socket.socket()
        t = None
        try:
            if ports:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", ports[i]))
            s.settimeout(max(0.01, a.deadline - mono()))
            t = mono()
            s.connect((a.dst, PORT))
            rec["connect_s"] = rec["connect_end_s"] = mono() - t
            rec["port"] = s.getsockname()[1]
            if plan.get("hold"):
                time.sleep(max(0.0, a.deadline - mono()))
                return
            s.sendall(b"\0" * plan["request"])
            need = plan["response"]
            while need > 0:
                b = s.recv(65536)
                if not b:
                    raise OSError(errno.ECONNRESET, "short response")
                need -= len(b)
            if plan["closer"] == "server":
                while s.recv(65536):  # until the server's FIN
                    pass
            rec["complete"] = 1
        except OSError as e:  # socket.timeout (our deadline) has no errno; the kernel's ETIMEDOUT has
            rec["error"] = errno.errorcode.get(e.errno, str(e.errno)) if e.errno else "deadline"
            if t is not None and rec["connect_end_s"] == "":
                rec["connect_end_s"] = mono() - t
        finally:
            s.close()
            out[i] = rec

    threads = []
    for i, off in enumerate(offsets):
        sleep_until(a.start + off)
        if mono() >= a.deadline:
            break
        t = threading.Thread(target=one, args=(i,), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(max(0.0, a.deadline + 5 - mono()))
    time.sleep(0.5)  # let the last closes reach the wire
    recs = [r for r in out if r is not None]
    json.dump(dict(connects=recs, nstat=nstat_diff(before)), open(a.out, "w"))


STATES = {"01": "ESTABLISHED", "02": "SYN-SENT", "03": "SYN-RECV", "04": "FIN-WAIT-1", "05": "FIN-WAIT-2",
          "06": "TIME-WAIT", "07": "CLOSE", "08": "CLOSE-WAIT", "09": "LAST-ACK", "0A": "LISTEN", "0B": "CLOSING"}


def proc_addr(h):
    ip, port = h.split(":")
    return "%s:%d" % (socket.inet_ntoa(bytes.fromhex(ip)[::-1]), int(port, 16))


def role_watch(a):
    """Polls this namespace's /proc/net/tcp until the deadline: the peak number of sockets
    in each state (request sockets show as SYN-RECV), and for the states in --track when
    each 4-tuple was first and last seen and its highest retransmission count (a 4-tuple
    missing from one poll and back in a later one is a new entry)."""
    track = set(a.track.split(",")) if a.track else set()
    peaks, entries, current, polls, max_gap, last = {}, [], {}, 0, 0.0, None
    print("watching", flush=True)
    while mono() < a.deadline:
        t = mono()
        if last is not None:
            max_gap = max(max_gap, t - last)
        last = t
        counts, seen = {}, {}
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                x = line.split()
                st = STATES.get(x[3], x[3])
                counts[st] = counts.get(st, 0) + 1
                if st in track:
                    seen[(st, x[1], x[2])] = int(x[6], 16)
        done = mono()  # every entry seen existed before this instant
        for key, retr in seen.items():
            e = current.get(key)
            if e is None:
                e = [key, done, done, retr]
                entries.append(e)
            else:
                e[2], e[3] = done, max(e[3], retr)
            seen[key] = e
        current = seen
        for st, n in counts.items():
            peaks[st] = max(peaks.get(st, 0), n)
        polls += 1
        time.sleep(max(0.0, a.interval - (mono() - t)))
    json.dump(dict(peaks=peaks, polls=polls, max_gap=max_gap,
                   entries=[dict(state=k[0], local=proc_addr(k[1]), remote=proc_addr(k[2]), first=first, last=last,
                                 retrans=retr) for k, first, last, retr in entries]), open(a.out, "w"))


# ---------------------------------------------------------------------------------------
# Linux runs: each returns rows for the CSVs (runs, connects, packets, half-open entries).
# ---------------------------------------------------------------------------------------


def poisson_offsets(rng, rate, start, stop):
    out, t = [], start
    while True:
        t += rng.expovariate(rate)
        if t >= stop:
            return out
        out.append(round(t, 6))


def conn_run(slot, workdir, run, link, seed, plan, duration, sysctls=(), wire_extra=(), flood=None,
             server_closer="client", backlog=BACKLOG, track="", interval=0.1, ladder=0):
    """One Linux experiment: server, watcher (server side) and client through the wire.
    Times are from t0, which is also the flood's start."""
    d = os.path.join(workdir, run.replace("/", "_"))
    os.makedirs(d, exist_ok=True)
    t0 = mono() + 4.0  # after the Pair and the processes are up
    extra = list(wire_extra)
    if flood:
        extra += ["--client-addr", ADDRS[0], "--flood-rate", str(flood), "--flood-start", repr(t0),
                  "--flood-stop", repr(t0 + duration), "--flood-jitter-ms", str(FLOOD_JITTER_MS),
                  "--flood-dst", ADDRS[1], "--flood-port", str(PORT)]
    holes = os.path.join(d, "blackholed.txt")
    if flood:
        extra += ["--log-blackholed", holes]
    planf = os.path.join(d, "plan.json")
    json.dump(plan, open(planf, "w"))
    outs = {k: os.path.join(d, k + ".json") for k in ("server", "client", "watch")}
    end = repr(t0 + duration)
    with Pair(slot, 0.0, seed, True, d, ladder=ladder, max_seconds=duration + 40, script=__file__, link=link,
              prefix=PREFIX, sysctls=sysctls, wire_extra=extra, server_default_route=bool(flood)) as pair:
        srv = pair.spawn(1, "conn-server", "--deadline", repr(t0 + duration + 1), "--backlog", str(backlog),
                         "--closer", server_closer, "--request", str(plan["request"]),
                         "--response", str(plan["response"]), "--out", outs["server"])
        if read_line(srv, 10) != "listening":
            raise RuntimeError("conn-server did not start")
        watch = pair.spawn(1, "watch", "--deadline", end, "--track", track, "--interval", str(interval),
                           "--out", outs["watch"])
        if read_line(watch, 10) != "watching":
            raise RuntimeError("watch did not start")
        if mono() > t0:
            raise RuntimeError("setup took longer than 4 s")
        cli = pair.spawn(0, "conn-client", "--dst", pair.addr[1], "--start", repr(t0), "--deadline", end,
                         "--plan", planf, "--out", outs["client"])
        wait_ok(cli, duration + 30, "conn-client")
        wait_ok(watch, max(0.0, t0 + duration - mono()) + 30, "watch")
        wait_ok(srv, max(0.0, t0 + duration - mono()) + 30, "conn-server")
        wire = pair.wire_stats()
    srv, cli, watch = (json.load(open(outs[k])) for k in ("server", "client", "watch"))
    conns = cli["connects"]
    local_errors = ("EADDRNOTAVAIL", "EADDRINUSE")
    sent_syn = [c for c in conns if c["error"] not in local_errors]
    ok = [c for c in conns if c["connect_s"] != ""]
    row = dict(run=run, seed=seed, attempts=len(conns), established=len(ok),
               completed=sum(c["complete"] for c in conns),
               port_exhausted=sum(c["error"] == "EADDRNOTAVAIL" for c in conns),
               connect_mean_s=round(statistics.mean(c["connect_s"] for c in ok), 6) if ok else "",
               syn_packets=wire["c2s"].get("syn_packets", 0),
               syn_retransmits=wire["c2s"].get("syn_packets", 0) - len(sent_syn),
               synack_packets=wire["s2c"].get("synack_packets", 0),
               rst_c2s=wire["c2s"].get("rst_packets", 0), rst_s2c=wire["s2c"].get("rst_packets", 0),
               flood_syns=wire["flood"].get("written", 0), blackholed=wire["flood"].get("blackholed", 0),
               synrecv_peak=watch["peaks"].get("SYN-RECV", 0), timewait_peak_server=watch["peaks"].get("TIME-WAIT", 0),
               listen_drops=srv["nstat"].get("TcpExtListenDrops", 0),
               reqq_full_drops=srv["nstat"].get("TcpExtTCPReqQFullDrop", 0),
               syncookies_sent=srv["nstat"].get("TcpExtSyncookiesSent", 0),
               syncookies_recv=srv["nstat"].get("TcpExtSyncookiesRecv", 0),
               accepted=srv["accepted"], tw_recycled=cli["nstat"].get("TcpExtTWRecycled", 0),
               client_retrans_segs=cli["nstat"].get("TcpRetransSegs", 0),
               watch_polls=watch["polls"], watch_max_gap_s=round(watch["max_gap"], 4), wire_rt=int(wire["rt"]))
    if flood:
        row.update(admissions(holes, t0 + FLOOD_WARMUP_S, t0 + FLOOD_WARMUP_S + FLOOD_LEGIT_S))
    for c in conns:
        c["run"] = run
        for k in ("connect_s", "connect_end_s"):
            if c[k] != "":
                c[k] = "%.6f" % c[k]
    packets, halfopen = [], []
    if ladder:
        base = wire["ladder"][0]["t_abs"] if wire["ladder"] else 0.0
        for p in wire["ladder"]:
            packets.append(dict(run=run, t_s="%.6f" % p["t"], dir=p["dir"], flags=p["flags"], seq=p["seq"],
                                ack=p["ack"], len=p["len"], fate=p["fate"]))
        for e in watch["entries"]:
            halfopen.append(dict(run=run, state=e["state"], local=e["local"], remote=e["remote"],
                                 first_s="%.3f" % (e["first"] - base), last_s="%.3f" % (e["last"] - base),
                                 retrans=e["retrans"]))
    return dict(runs=[row], connects=conns, packets=packets, halfopen=halfopen)


def admissions(path, lo, hi):
    """How the flood's SYNs got into the SYN queue between lo and hi (CLOCK_MONOTONIC s),
    from the wire's log of the SYN-ACKs it black-holed: an entry is a spoofed 4-tuple whose
    SYN-ACK was retransmitted (a cookie's is not), admitted when its first SYN-ACK left. A
    burst is a run of admissions less than 5 ms apart: entries that expired together, their
    places taken by the next flood SYNs."""
    first, n = {}, {}
    with open(path) as f:
        for line in f:
            t, addr, port, _ = line.split()
            k = (addr, port)
            first.setdefault(k, int(t) / 1e9)
            n[k] = n.get(k, 0) + 1
    adm = sorted(t for k, t in first.items() if n[k] >= 2 and lo <= t < hi)
    if not adm:
        return dict(admissions_per_s=0, admission_bursts=0, admission_burst_mean="", admission_burst_max="")
    bursts = [1]
    for a, b in zip(adm, adm[1:]):
        if b - a < 0.005:
            bursts[-1] += 1
        else:
            bursts.append(1)
    return dict(admissions_per_s=round(len(adm) / (hi - lo), 2), admission_bursts=len(bursts),
                admission_burst_mean=round(statistics.mean(bursts), 1), admission_burst_max=max(bursts))


def linux_flood(slot, workdir, rate, cookies, seed):
    rng = random.Random("flood-legit/%d" % seed)
    offsets = poisson_offsets(rng, FLOOD_LEGIT_RATE, FLOOD_WARMUP_S, FLOOD_WARMUP_S + FLOOD_LEGIT_S)
    plan = dict(offsets=offsets, request=REQUEST, response=RESPONSE, closer="client")
    run = "flood/rate=%g/cookies=%d/seed=%d" % (rate, cookies, seed)
    return conn_run(slot, workdir, run, FLOOD_LINK, seed, plan, FLOOD_WARMUP_S + FLOOD_LEGIT_S + FLOOD_TAIL_S,
                    sysctls=[(1, "net.ipv4.tcp_syncookies=%d" % cookies)], flood=rate)


def linux_tw_server(slot, workdir, seed):
    plan = dict(offsets=[i / TWS_RATE for i in range(TWS_COUNT)],
                ports=[TWS_FIRST_PORT + i % TWS_PORTS for i in range(TWS_COUNT)],
                request=REQUEST, response=RESPONSE, closer="server")
    return conn_run(slot, workdir, "tw-server/seed=%d" % seed, TW_LINK, seed, plan, TWS_COUNT / TWS_RATE + 5,
                    server_closer="server", interval=0.05)


def linux_schedule(slot, workdir, name):
    spec = SCHEDULES[name]
    plan = dict(offsets=[0.0], request=REQUEST, response=RESPONSE, closer="client", hold=name == "ack-dropped")
    return conn_run(slot, workdir, "schedule/%s" % name, SCHED_LINK, 1, plan, spec["duration"],
                    wire_extra=sum((["--drop", x] for x in spec["drop"]), []), track="SYN-RECV",
                    interval=0.02, ladder=500)


def linux_tw_reuse(slot, workdir, ports, reuse):
    n = int(TWR_RATE * TWR_SECONDS)
    plan = dict(offsets=[i / TWR_RATE for i in range(n)], request=REQUEST, response=RESPONSE, closer="client")
    sysctls = [(0, "net.ipv4.ip_local_port_range=%d %d" % (TWR_FIRST_PORT, TWR_FIRST_PORT + ports - 1)),
               (0, "net.ipv4.tcp_tw_reuse=%d" % int(reuse)), (0, "net.ipv4.tcp_timestamps=1")]
    return conn_run(slot, workdir, "tw-reuse/ports=%d/reuse=%d" % (ports, reuse), TW_LINK, 1, plan,
                    TWR_SECONDS + 2, sysctls=sysctls, interval=0.05)


# ---------------------------------------------------------------------------------------
# The Linux data, kept in CSVs so that --synack-only can redo the comparison.
# ---------------------------------------------------------------------------------------

CSVS = {
    "runs": ("linux-conn-runs.csv",
             ["run", "seed", "attempts", "established", "completed", "port_exhausted", "connect_mean_s",
              "syn_packets", "syn_retransmits", "synack_packets", "rst_c2s", "rst_s2c", "flood_syns", "blackholed",
              "synrecv_peak", "timewait_peak_server", "listen_drops", "reqq_full_drops", "syncookies_sent",
              "syncookies_recv", "accepted", "tw_recycled", "client_retrans_segs", "admissions_per_s",
              "admission_bursts", "admission_burst_mean", "admission_burst_max", "watch_polls", "watch_max_gap_s",
              "wire_rt"]),
    "connects": ("linux-conn-connects.csv", ["run", "conn", "start_s", "port", "connect_s", "connect_end_s", "complete",
                                             "error"]),
    "packets": ("linux-conn-packets.csv", ["run", "t_s", "dir", "flags", "seq", "ack", "len", "fate"]),
    "halfopen": ("linux-conn-halfopen.csv", ["run", "state", "local", "remote", "first_s", "last_s", "retrans"]),
}


def load_linux():
    data = {}
    for key, (name, _) in CSVS.items():
        path = os.path.join(HERE, name)
        data[key] = list(csv.DictReader(open(path))) if os.path.exists(path) else []
    return data


def save_linux(new):
    """Rows of the runs redone replace their earlier rows; the others are kept."""
    redone = {r["run"] for r in new["runs"]}
    old = load_linux()
    for key, (name, cols) in CSVS.items():
        rows = [r for r in old[key] if r["run"] not in redone] + new[key]
        rows.sort(key=lambda r: run_sort_key(r["run"]))
        with open(os.path.join(HERE, name), "w", newline="") as f:
            wr = csv.DictWriter(f, cols, extrasaction="ignore")
            wr.writeheader()
            for r in rows:
                wr.writerow(r)


def run_params(run):
    parts = run.split("/")
    return parts[0], dict(p.split("=") for p in parts[1:] if "=" in p), parts


def run_sort_key(run):
    kind, params, parts = run_params(run)
    order = ["flood", "tw-server", "schedule", "tw-reuse"]
    return (order.index(kind) if kind in order else 9, parts[1] if kind == "schedule" else "",
            tuple(float(v) for v in params.values()))


# ---------------------------------------------------------------------------------------
# synack's side.
# ---------------------------------------------------------------------------------------


def with_text(template, workdir, subs):
    text = open(os.path.join(HERE, template)).read()
    for pat, rep in subs:
        text, n = re.subn(pat, rep, text, flags=re.M)
        if n != 1:
            raise RuntimeError("%s: %r not found once" % (template, pat))
    path = os.path.join(workdir, template)
    open(path, "w").write(text)
    return path


def synack_flood(rates, reps, workdir):
    exp = with_text("conn-flood.toml", workdir, [
        (r'^"workload.flood.rate" = \[.*\]$', '"workload.flood.rate" = [%s]' % ", ".join("%g" % r for r in rates)),
        (r"^replications = \d+$", "replications = %d" % reps)])
    rows, err = synack_runs(exp, {}, tempfile.mkdtemp(dir=workdir))
    if rows is None:
        raise RuntimeError("synack run conn-flood.toml failed: %s" % err)
    out = {}
    for r in rows:
        # false/true, or 0/1 should synack come to take Linux's values of tcp_syncookies.
        cookies = 0 if r["host.server.tcp.syn_cookies"].lower() in ("false", "0", "off") else 1
        key = (float(r["workload.flood.rate"]), cookies)
        out.setdefault(key, []).append(r)
    return out


def synack_tw_server(reps, workdir):
    exp = with_text("conn-tw-server.toml", workdir, [(r"^replications = \d+$", "replications = %d" % reps)])
    rows, err = synack_runs(exp, {}, tempfile.mkdtemp(dir=workdir))
    if rows is None:
        raise RuntimeError("synack run conn-tw-server.toml failed: %s" % err)
    return rows


def synack_trace(toml):
    p = subprocess.run([synack_bin(), "trace", os.path.join(HERE, toml), "--format", "jsonl"],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("synack trace %s failed: %s" % (toml, p.stderr))
    return [json.loads(x) for x in p.stdout.splitlines() if x.strip()]


def synack_tw_reuse(ports_list, workdir):
    """(ports, reuse) -> (rows, label); rows None when synack cannot express it."""
    exp = with_text("conn-tw-reuse.toml", workdir, [
        (r'^"host.client.tcp.ephemeral_ports" = \[.*\]$', '"host.client.tcp.ephemeral_ports" = [%s]'
         % ", ".join('"%d-%d"' % (TWR_FIRST_PORT, TWR_FIRST_PORT + p - 1) for p in ports_list))])
    out = {}
    for reuse in (False, True):
        rows, label = None, "n/a (synack lacks tw_reuse)"
        for sets in TW_REUSE_SETTINGS[reuse]:
            rows, err = synack_runs(exp, sets, tempfile.mkdtemp(dir=workdir))
            if rows is not None:
                label = " ".join("--set %s=%s" % kv for kv in sets.items()) or "(no tw_reuse key: none in synack)"
                break
            log("synack rejected", sets, (err[0] if err else "")[:160])
        for p in ports_list:
            rng = "%d-%d" % (TWR_FIRST_PORT, TWR_FIRST_PORT + p - 1)
            out[(p, reuse)] = ([r for r in rows if r["host.client.tcp.ephemeral_ports"] == rng]
                               if rows is not None else None, label)
    return out


# ---------------------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------------------


def fnum(x, digits=3):
    return "—" if x is None or x == "" else "%.*f" % (digits, float(x))


def share(n, d):
    return 100.0 * n / d if d else float("nan")


def linux_times(packets, run, dirn, flags):
    return [float(p["t_s"]) for p in packets if p["run"] == run and p["dir"] == dirn and p["flags"] == flags]


def trace_times(events, host, flags):
    return [e["t"] / 1e9 for e in events if e["ev"] == "send" and e["host"] == host and e["flags"] == flags]


def schedule_facts(name, linux, events):
    """The Linux and synack instants of one schedule scenario, as comparable lists."""
    run = "schedule/" + name
    pk = linux["packets"]
    L = dict(syn=linux_times(pk, run, "c2s", "SYN"), synack=linux_times(pk, run, "s2c", "SYN,ACK"))
    syn_ack_seq = [int(p["seq"]) for p in pk if p["run"] == run and p["flags"] == "SYN,ACK"]
    L["synack_isns"] = len(set(syn_ack_seq))
    conn = [c for c in linux["connects"] if c["run"] == run]
    # When connect() returned or failed, from the client's first SYN.
    L["connect"] = ((float(conn[0]["start_s"]) + float(conn[0]["connect_end_s"]) if conn[0]["connect_end_s"] else ""),
                    conn[0]["error"]) if conn else ("", "no data")
    # A SYN-ACK with a new ISN is a new half-open entry: the old one was gone by then, even
    # if no poll of the watcher fell between the two (a gap of less than 20 ms).
    isn_starts, seen_isn = [], set()
    for p in pk:
        if p["run"] == run and p["flags"] == "SYN,ACK" and p["seq"] not in seen_isn:
            if seen_isn:
                isn_starts.append(float(p["t_s"]))
            seen_isn.add(p["seq"])
    L["halfopen"] = []
    for h in sorted(linux["halfopen"], key=lambda h: float(h["first_s"])):
        if h["run"] != run or h["state"] != "SYN-RECV":
            continue
        start, last = float(h["first_s"]), float(h["last_s"])
        for cut in [t for t in isn_starts if start < t < last]:
            L["halfopen"].append((start, cut, int(h["retrans"])))
            start = cut
        L["halfopen"].append((start, last, int(h["retrans"])))
    S = {}
    if events is not None:
        S["syn"] = trace_times(events, "client", "SYN")
        first_server = next((e["conn"] for e in events if e["ev"] == "state" and e["host"] == "server"), None)
        sa = [e for e in events if e["ev"] == "send" and e["host"] == "server" and e["flags"] == "SYN,ACK"
              and (name != "ack-dropped" or e["conn"] == first_server)]
        S["synack"] = [e["t"] / 1e9 for e in sa]
        S["synack_isns"] = len({e["seq"] for e in sa})
        births = {e["conn"]: e["t"] / 1e9 for e in events if e["ev"] == "state" and e["host"] == "server"
                  and e["to"] == "SYN-RECEIVED"}
        deaths = {e["conn"]: e["t"] / 1e9 for e in events if e["ev"] == "state" and e["host"] == "server"
                  and e["from"] == "SYN-RECEIVED" and e["to"] == "CLOSED"}
        S["halfopen"] = sorted((births[c], deaths.get(c), None) for c in births
                               if name != "ack-dropped" or c == first_server)
        gave = [e["t"] / 1e9 for e in events if e["ev"] == "state" and e["host"] == "client"
                and e["from"] == "SYN-SENT" and e["to"] == "CLOSED"]
        S["gave_up"] = gave[0] if gave else None
    return L, S


def rel(xs, base):
    return [x - base for x in xs]


def deviation(linux, synack):
    """How far Linux's instants are from synack's, matched in order."""
    if len(linux) != len(synack):
        return "%d instants on Linux, %d in synack" % (len(linux), len(synack))
    d = [y - x for x, y in zip(linux, synack)]
    return "%+.2f … %+.2f s" % (min(d), max(d)) if d else ""


def series(xs, digits=2):
    return ", ".join("%.*f" % (digits, x) for x in xs) if xs else "—"


FLOOD_S = FLOOD_WARMUP_S + FLOOD_LEGIT_S + FLOOD_TAIL_S


def admitted_linux(r):
    """SYNs the listener took into its SYN queue a second (flood and legitimate; cookies
    are not counted: they are not admitted)."""
    return (int(r["flood_syns"]) + int(r["syn_packets"]) - int(r["listen_drops"]) - int(r["syncookies_sent"])) / FLOOD_S


def admitted_synack(r):
    rate = float(r["workload.flood.rate"])
    arrivals = rate * FLOOD_S + int(r["conn_attempted"]) + int(r["syn_retransmits"])
    return (arrivals - int(r["syn_dropped"]) - int(r["syncookies_sent"])) / FLOOD_S


def bursts(rows):
    got = [r for r in rows if r.get("admission_burst_mean")]
    if not got:
        return "—"
    return "%.1f, %d" % (statistics.mean(float(r["admission_burst_mean"]) for r in got),
                         max(int(r["admission_burst_max"]) for r in got))


def report(linux, syn, args, started):
    L = []
    w = L.append
    summary = []  # (scenario, Linux, synack, difference)
    w("# synack against Linux: connection management")
    w("")
    w("Generated by `validation/linux/connections.py` (run as root; `--synack-only` without); see README.md. "
      "Do not edit by hand. The bulk-transfer comparison is in [results.md](results.md).")
    w("")
    w("- **Linux** %s: two network namespaces joined by TUN devices and netlab.py's wire with synack's link "
      "semantics (no loss here; the wire drops packets only where a scenario says). Default sysctls of a fresh "
      "namespace (`tcp_syn_retries` 6 + `tcp_syn_linear_timeouts` 4, `tcp_synack_retries` 5, timestamps, SACK) "
      "except those each scenario names, set inside the namespaces only." % os.uname().release)
    w("- **synack**: the `conn-*.toml` files beside this report, linux profile, run by the release binary "
      "(`synack run`, or `synack trace --format jsonl` for the schedules).")
    w("- Report generated %s → %s UTC (Linux data from `linux-conn-*.csv`, synack run afresh)."
      % (started, time.strftime("%Y-%m-%d %H:%M", time.gmtime())))
    body = []
    b = body.append

    # 1. Flood.
    runs = [r for r in linux["runs"] if r["run"].startswith("flood/")]
    if runs:
        b("")
        b("## 1. Legitimate connects under a SYN flood")
        b("")
        b("Listener backlog 128 (`listen(128)`; synack `backlog = 128`). Spoofed SYNs (random addresses of "
          "198.18.0.0/15 and ports, MSS option only) at the rate shown from t = 0, the k-th at k/rate ± %g ms "
          "(Linux: forged by the wire into the server's TUN, the answers black-holed; synack: the `flood` "
          "workload over a link with ±2 ms jitter). Legitimate connects at Poisson instants, %g a second from "
          "t = %g s to %g s, over 10 ms each way; each sends %d B, reads %d B and closes; a connect not "
          "established by t = %g s has failed. *Established*: connects established / attempted, pooled over "
          "runs (Linux: %s per point, `conn-client` timing `connect()`; synack: replications of "
          "`conn-flood.toml`). *Handshake*: mean `connect()` time of those established (Linux's median beside "
          "it: a busy machine adds a few long outliers to the wire's latency). *Admitted*: SYNs taken into the "
          "SYN queue a second over the run (arrivals less the listener's drops and the cookies). Linux's "
          "admissions in bursts: flood entries (spoofed 4-tuples whose SYN-ACK the wire saw retransmitted) "
          "admitted between t = %g and %g s less than 5 ms apart — entries that expired together, their places "
          "taken by the next flood SYNs. Target (issue 12): synack's share within ±%g points of Linux's; ✗ marks "
          "a miss."
          % (FLOOD_JITTER_MS, FLOOD_LEGIT_RATE, FLOOD_WARMUP_S, FLOOD_WARMUP_S + FLOOD_LEGIT_S, REQUEST, RESPONSE,
             FLOOD_WARMUP_S + FLOOD_LEGIT_S + FLOOD_TAIL_S,
             "seeds " + ", ".join(sorted({r["seed"] for r in runs})), FLOOD_WARMUP_S, FLOOD_WARMUP_S + FLOOD_LEGIT_S,
             TARGET_PP))
        for cookies in (0, 1):
            pts = sorted({float(run_params(r["run"])[1]["rate"]) for r in runs
                          if int(run_params(r["run"])[1]["cookies"]) == cookies})
            if not pts:
                continue
            b("")
            b("### SYN cookies %s (`tcp_syncookies = %d`; synack `syn_cookies = %s`)"
              % ("off" if not cookies else "on", cookies, "true" if cookies else "false"))
            b("")
            b("| SYN/s | Linux established | synack established | difference | Linux handshake (s): mean, median "
              "| synack handshake (s) | legit SYN retransmissions per connect, Linux · synack "
              "| SYN-RECV peak (Linux `/proc/net/tcp`) · synack `half_open_peak` "
              "| SYNs dropped by the listener: Linux `ListenDrops` · synack `syn_dropped` (per run) "
              "| cookies sent, Linux · synack (per run) "
              "| SYNs admitted to the SYN queue a second, Linux · synack | Linux: admissions in bursts of (mean, max) |")
            b("|---|---|---|---|---|---|---|---|---|---|---|---|")
            for rate in pts:
                lr = [r for r in runs if float(run_params(r["run"])[1]["rate"]) == rate
                      and int(run_params(r["run"])[1]["cookies"]) == cookies]
                lrun = {r["run"] for r in lr}
                lc = [c for c in linux["connects"] if c["run"] in lrun]
                lok = [float(c["connect_s"]) for c in lc if c["connect_s"] != ""]
                la, le = len(lc), len(lok)
                lhs = statistics.mean(lok) if lok else None
                lsyn = sum(int(r["syn_retransmits"]) for r in lr) / la if la else float("nan")
                sr = syn["flood"].get((rate, cookies)) if syn.get("flood") else None
                if sr:
                    sa = sum(int(r["conn_attempted"]) for r in sr)
                    se = sum(int(r["conn_established"]) for r in sr)
                    shs = (sum(float(r["handshake_mean_s"]) * int(r["conn_established"]) for r in sr) / se
                           if se else None)
                    d = share(se, sa) - share(le, la)
                    mark = "" if abs(d) <= TARGET_PP else " ✗"
                    b("| %g | %d / %d (%.0f %%) | %d / %d (%.0f %%) | %+.0f points%s | %s, %s | %s | %.2f · %.2f "
                      "| %.0f · %.0f | %.0f · %.0f | %.0f · %.0f | %.1f · %.1f | %s |"
                      % (rate, le, la, share(le, la), se, sa, share(se, sa), d, mark, fnum(lhs),
                         fnum(statistics.median(lok) if lok else None), fnum(shs), lsyn,
                         sum(int(r["syn_retransmits"]) for r in sr) / sa if sa else float("nan"),
                         statistics.mean(int(r["synrecv_peak"]) for r in lr),
                         statistics.mean(int(r["half_open_peak"]) for r in sr),
                         statistics.mean(int(r["listen_drops"]) for r in lr),
                         statistics.mean(int(r["syn_dropped"]) for r in sr),
                         statistics.mean(int(r["syncookies_sent"]) for r in lr),
                         statistics.mean(int(r["syncookies_sent"]) for r in sr),
                         statistics.mean(admitted_linux(r) for r in lr), statistics.mean(admitted_synack(r) for r in sr),
                         bursts(lr)))
                    summary.append(("SYN flood %g/s, cookies %s: legitimate connects established" % (
                        rate, "on" if cookies else "off"), "%.0f %% (%d/%d)" % (share(le, la), le, la),
                        "%.0f %% (%d/%d)" % (share(se, sa), se, sa), "%+.0f points%s" % (d, mark)))
                    if lhs is not None and shs is not None:
                        summary.append(("SYN flood %g/s, cookies %s: mean handshake" % (
                            rate, "on" if cookies else "off"), "%.3f s" % lhs, "%.3f s" % shs,
                            "%+.0f %%" % ((shs / lhs - 1) * 100)))
                else:
                    b("| %g | %d / %d (%.0f %%) | n/a | | %s | | | | | |" % (rate, le, la, share(le, la), fnum(lhs)))
        b("")
        b("Per-run Linux figures (wire counts, the server's nstat, the watcher's peaks): `linux-conn-runs.csv`; "
          "every legitimate connect: `linux-conn-connects.csv`.")

    # 2. Server TIME-WAIT.
    runs = [r for r in linux["runs"] if r["run"].startswith("tw-server/")]
    if runs:
        lc = [c for c in linux["connects"] if c["run"] in {r["run"] for r in runs}]
        lok = [float(c["connect_s"]) for c in lc if c["connect_s"] != ""]
        b("")
        b("## 2. Repeated connects into the server's TIME-WAIT")
        b("")
        b("%d connects, one every %g ms, from %d client ports in turn (Linux: `bind()` to %d + i mod %d; "
          "synack: ephemeral ports %d–%d, which its port cursor takes in turn), over 1 ms each way; %d B out, "
          "%d B back, and the server closes first, so every 4-tuple's next connect (%g ms later) meets the "
          "server's TIME-WAIT. synack: `conn-tw-server.toml`, mean of its replications."
          % (TWS_COUNT, 1e3 / TWS_RATE, TWS_PORTS, TWS_FIRST_PORT, TWS_PORTS, TWS_FIRST_PORT,
             TWS_FIRST_PORT + TWS_PORTS - 1, REQUEST, RESPONSE, 1e3 * TWS_PORTS / TWS_RATE))
        b("")
        sr = syn.get("tw_server")
        b("| | Linux | synack | difference |")
        b("|---|---|---|---|")

        def srow(label, lv, sv, fmt):
            if sv is None:
                b("| %s | %s | n/a | |" % (label, fmt % lv))
                return
            diff = "%+g" % round(sv - lv, 2)
            b("| %s | %s | %s | %s |" % (label, fmt % lv, fmt % sv, diff))
            return diff

        def smean(k):
            return statistics.mean(float(r[k]) for r in sr) if sr else None

        la = len(lc) / len(runs)
        srow("connects attempted", la, smean("conn_attempted"), "%.0f")
        d = srow("connects established", len(lok) / len(runs), smean("conn_established"), "%.0f")
        summary.append(("Server TIME-WAIT, %d connects through %d ports: established" % (TWS_COUNT, TWS_PORTS),
                        "%d/%d" % (len(lok), len(lc)), "%.0f/%.0f" % (smean("conn_established"), smean("conn_attempted"))
                        if sr else "n/a", d or ""))
        lsr = statistics.mean(int(r["syn_retransmits"]) for r in runs)
        d = srow("SYN retransmissions", lsr, smean("syn_retransmits"), "%.1f")
        summary.append(("Server TIME-WAIT: SYN retransmissions", "%.0f" % lsr,
                        "%.1f" % smean("syn_retransmits") if sr else "n/a", d or ""))
        lhs = statistics.mean(lok) if lok else float("nan")
        d = srow("mean handshake (ms)", lhs * 1e3, smean("handshake_mean_s") * 1e3 if sr else None, "%.2f")
        b("| median handshake (ms) | %.2f | — | |" % (statistics.median(lok) * 1e3 if lok else float("nan")))
        summary.append(("Server TIME-WAIT: mean handshake", "%.2f ms" % (lhs * 1e3),
                        "%.2f ms" % (smean("handshake_mean_s") * 1e3) if sr else "n/a", (d + " ms") if d else ""))
        srow("server TIME-WAIT peak", statistics.mean(int(r["timewait_peak_server"]) for r in runs),
             smean("time_wait_peak"), "%.1f")
        srow("RSTs (Linux: on the wire, both ways) · synack `conn_reset`",
             statistics.mean(int(r["rst_c2s"]) + int(r["rst_s2c"]) for r in runs), smean("conn_reset"), "%.1f")
        b("")
        b("Linux's handshake includes the wire's own latency (about 0.2 ms a direction on an idle machine, see "
          "results.md's wire-fidelity line, more when it is busy; this run is made alone, after the others).")

    # 3. Schedules.
    names = [n for n in SCHEDULES if any(r["run"] == "schedule/" + n for r in linux["runs"])]
    if names:
        b("")
        b("## 3. SYN and SYN-ACK retransmission schedules")
        b("")
        b("One connect over 10 ms each way; the wire drops what the scenario says. Instants are seconds from "
          "the client's first SYN (Linux: when the wire saw the packet, i.e. when it was sent; synack: `synack "
          "trace --format jsonl` send events). Half-open entry: the server's request socket (Linux: seen in the "
          "server namespace's `/proc/net/tcp` as SYN-RECV, polled every 20 ms, so its end is known to 20 ms, or "
          "ended by the first SYN-ACK with a new ISN, which only a new entry sends; synack: SYN-RECEIVED → "
          "CLOSED in the trace).")
        for name in names:
            spec = SCHEDULES[name]
            Lf, Sf = schedule_facts(name, linux, syn.get("sched", {}).get(name))
            b("")
            b("### %s: %s" % (name, spec["what"]))
            b("")
            b("synack: `%s`." % spec["toml"])
            b("")
            b("| | Linux | synack |")
            b("|---|---|---|")
            base_l = Lf["syn"][0] if Lf["syn"] else 0.0
            if name == "ack-dropped":
                # synack's one SYN is the flood's, at its t = 0 but another link; compare from the first SYN-ACK.
                bl = Lf["synack"][0] if Lf["synack"] else 0.0
                bs = Sf["synack"][0] if Sf.get("synack") else 0.0
                b("| SYN-ACKs, s from the first | %s | %s |" % (series(rel(Lf["synack"], bl)),
                                                               series(rel(Sf.get("synack", []), bs))))
                lh = [h for h in Lf["halfopen"]]
                sh_ = Sf.get("halfopen", [])
                b("| half-open entry ends, s after the first SYN-ACK | %s | %s |" % (
                    series([h[1] - bl for h in lh]), series([h[1] - bs for h in sh_ if h[1] is not None])))
                b("| highest retransmission count of the entry (Linux `retrnsmt`) | %s | — |"
                  % (", ".join(str(h[2]) for h in lh) or "—"))
                b("| client: `connect()` | %s s (its ACKs never arrive) | (a spoofed SYN: no client) |"
                  % fnum(Lf["connect"][0]))
                if lh and sh_ and sh_[0][1] is not None:
                    summary.append(("SYN-ACK retransmissions, final ACK lost: SYN-ACKs, s from the first",
                                    series(rel(Lf["synack"], bl), 2), series(rel(Sf["synack"], bs), 2),
                                    deviation(rel(Lf["synack"], bl), rel(Sf["synack"], bs))))
                    summary.append(("Half-open entry's life, final ACK lost", "%.2f s" % (lh[0][1] - bl),
                                    "%.2f s" % (sh_[0][1] - bs), "%+.2f s" % ((sh_[0][1] - bs) - (lh[0][1] - bl))))
                continue
            b("| client SYNs | %s | %s |" % (series(rel(Lf["syn"], base_l)), series(Sf.get("syn", []))))
            if name == "synack-dropped":
                b("| server SYN-ACKs | %s | %s |" % (series(rel(Lf["synack"], base_l)), series(Sf.get("synack", []))))
                b("| distinct SYN-ACK ISNs (half-open entries) | %d | %s |" % (Lf["synack_isns"], Sf.get("synack_isns", "—")))
                b("| half-open entries: created → gone (Linux: last seen, or replaced) / closed (synack), s | %s | %s |" % (
                    "; ".join("%.2f → %.2f" % (h[0] - base_l, h[1] - base_l) for h in Lf["halfopen"]) or "—",
                    "; ".join("%.2f → %s" % (h[0], fnum(h[1], 2)) for h in Sf.get("halfopen", [])) or "—"))
                if Lf["halfopen"] and Sf.get("halfopen") and Sf["halfopen"][0][1] is not None:
                    lh, sh_ = Lf["halfopen"][0], Sf["halfopen"][0]
                    ll, sl = lh[1] - lh[0], sh_[1] - sh_[0]
                    summary.append(("Half-open entry's life while the client retransmits its SYN", "%.2f s" % ll,
                                    "%.2f s" % sl, "%+.2f s" % (sl - ll)))
            cs, ce = Lf["connect"]
            b("| client gives up (`connect()` fails), s | %s (%s) | %s |" % (fnum(cs, 2), ce or "ok",
                                                                             fnum(Sf.get("gave_up"), 2)))
            if name == "syn-dropped":
                summary.append(("SYN retransmissions, every SYN lost: SYN instants (s)",
                                series(rel(Lf["syn"], base_l), 2), series(Sf.get("syn", []), 2),
                                deviation(rel(Lf["syn"], base_l), Sf.get("syn", []))))
                if cs != "" and Sf.get("gave_up") is not None:
                    summary.append(("connect() gives up, every SYN lost", "%.2f s (%s)" % (float(cs), ce),
                                    "%.2f s" % Sf["gave_up"], "%+.2f s" % (Sf["gave_up"] - float(cs))))
        b("")
        b("Every packet the wire saw in these runs: `linux-conn-packets.csv`; the watcher's entries: "
          "`linux-conn-halfopen.csv`.")

    # 4. tw_reuse.
    runs = [r for r in linux["runs"] if r["run"].startswith("tw-reuse/")]
    if runs:
        b("")
        b("## 4. tcp_tw_reuse: connects a second from a client holding its TIME-WAITs")
        b("")
        b("The client has P ephemeral ports (Linux: `ip_local_port_range` %d..%d+P−1 in its namespace; synack: "
          "`ephemeral_ports`) and closes first, so each connection leaves a 60 s TIME-WAIT on its port. It "
          "tries %g connects a second for %g s over 1 ms each way (%d B out, %d B back). Reuse off: Linux "
          "`tcp_tw_reuse = 0`; on: `tcp_tw_reuse = 1` with timestamps (the default). *Established a second*: "
          "connects established / %g s. Linux's `TWRecycled` counts connects that took over a TIME-WAIT."
          % (TWR_FIRST_PORT, TWR_FIRST_PORT, TWR_RATE, TWR_SECONDS, REQUEST, RESPONSE, TWR_SECONDS))
        b("")
        b("| ports | tw_reuse | Linux established (a second) | Linux no free port | Linux `TWRecycled` "
          "| synack established (a second) | synack `port_exhausted` | difference | synack settings |")
        b("|---|---|---|---|---|---|---|---|---|")
        for r in sorted(runs, key=lambda r: run_sort_key(r["run"])):
            p = run_params(r["run"])[1]
            ports, reuse = int(p["ports"]), bool(int(p["reuse"]))
            le = int(r["established"])
            srows, label = syn.get("tw_reuse", {}).get((ports, reuse), (None, "not run"))
            if srows:
                se = statistics.mean(int(x["conn_established"]) for x in srows)
                spe = statistics.mean(int(x["port_exhausted"]) for x in srows)
                d = "%+.1f a second" % ((se - le) / TWR_SECONDS)
                b("| %d | %s | %d (%.1f) | %s | %s | %.0f (%.1f) | %.0f | %s | %s |"
                  % (ports, "on" if reuse else "off", le, le / TWR_SECONDS, r["port_exhausted"], r["tw_recycled"],
                     se, se / TWR_SECONDS, spe, d, label))
                summary.append(("tw_reuse %s, %d ports: connects established a second" % ("on" if reuse else "off", ports),
                                "%.1f" % (le / TWR_SECONDS), "%.1f" % (se / TWR_SECONDS), d))
            else:
                b("| %d | %s | %d (%.1f) | %s | %s | %s | | | |"
                  % (ports, "on" if reuse else "off", le, le / TWR_SECONDS, r["port_exhausted"], r["tw_recycled"],
                     label))
                summary.append(("tw_reuse %s, %d ports: connects established a second" % ("on" if reuse else "off", ports),
                                "%.1f" % (le / TWR_SECONDS), label, ""))
    w("")
    w("## Summary")
    w("")
    w("Difference: synack − Linux (points of the share established, relative for a flood's handshake, seconds "
      "for instants, from first to last of the matched instants).")
    w("")
    w("| scenario | Linux | synack | difference |")
    w("|---|---|---|---|")
    for s in summary:
        w("| %s |" % " | ".join(s))
    L.extend(body)
    with open(os.path.join(HERE, "connections-results.md"), "w") as f:
        f.write("\n".join(L) + "\n")


# ---------------------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------------------

SCENARIOS = ["flood", "tw-server", "schedules", "tw-reuse"]


def host_sysctls():
    out = {}
    for k in NS_SYSCTLS:
        try:
            with open("/proc/sys/" + k.replace(".", "/")) as f:
                out[k] = f.read().strip()
        except OSError:
            pass
    return out


def linux_jobs(args):
    """(estimated seconds, label, function, arguments, alone), longest first. `alone` runs
    after the others, by itself: its handshakes are timed in milliseconds, and the wire's
    latency grows when the machine is busy with the other runs."""
    jobs = []
    if "flood" in args.only:
        for cookies in args.cookies:
            for rate in args.flood_rates:
                for seed in range(1, args.flood_seeds + 1):
                    jobs.append((FLOOD_WARMUP_S + FLOOD_LEGIT_S + FLOOD_TAIL_S, "flood rate=%g cookies=%d seed=%d"
                                 % (rate, cookies, seed), linux_flood, (rate, cookies, seed), False))
    if "schedules" in args.only:
        for name, spec in SCHEDULES.items():
            jobs.append((spec["duration"], "schedule " + name, linux_schedule, (name,), False))
    if "tw-server" in args.only:
        jobs.append((TWS_COUNT / TWS_RATE + 5, "tw-server", linux_tw_server, (1,), True))
    if "tw-reuse" in args.only:
        for ports in args.tw_ports:
            for reuse in (0, 1):
                jobs.append((TWR_SECONDS + 2, "tw-reuse ports=%d reuse=%d" % (ports, reuse), linux_tw_reuse,
                             (ports, reuse), False))
    return sorted(jobs, key=lambda j: -j[0])


def run_linux(args, workdir):
    jobs = linux_jobs(args)
    pooled, alone = [j for j in jobs if not j[4]], [j for j in jobs if j[4]]
    est = (sum(j[0] + 8 for j in pooled) / min(args.parallel, max(1, len(pooled))) + sum(j[0] + 8 for j in alone)) / 60
    log("%d Linux runs, %d at a time: about %.0f min" % (len(jobs), args.parallel, est))
    slots = queue.Queue()
    for k in range(args.parallel):
        slots.put(k)
    results, lock = [], threading.Lock()  # finished runs
    guard = host_sysctls()

    def one(job):
        _, label, fn, fargs, _ = job
        slot = slots.get(timeout=1200)
        try:
            for attempt in (1, 2):
                try:
                    r = fn(slot, workdir, *fargs)
                    break
                except Exception as e:  # one retry: a transient setup failure
                    log(label, "attempt", attempt, "failed:", e)
                    r = None
            if r:
                row = r["runs"][0]
                with lock:
                    results.append(r)
                    log("linux %s: %s of %s established%s" % (label, row["established"], row["attempts"],
                        ", mean connect %.3f s" % row["connect_mean_s"] if row["connect_mean_s"] != "" else ""))
            return r
        finally:
            slots.put(slot)
            now = host_sysctls()
            for k, v in guard.items():
                if now.get(k) != v:  # never expected: every one of these is per namespace
                    log("WARNING: host sysctl %s changed from %r to %r; restoring" % (k, v, now.get(k)))
                    sh("sysctl", "-qw", "%s=%s" % (k, v), check=False)

    ex = concurrent.futures.ThreadPoolExecutor(args.parallel)
    try:
        for f in [ex.submit(one, job) for job in pooled]:
            f.result()
        for job in alone:
            one(job)
    finally:
        # On an interrupt: start nothing more, let the (bounded) runs under way finish and
        # clean up after themselves, and keep the data of every finished run.
        ex.shutdown(wait=True, cancel_futures=True)
        merged = {k: [] for k in CSVS}
        for r in results:
            for k in CSVS:
                merged[k] += r[k]
        if results:
            save_linux(merged)


def run_synack(linux, args, workdir):
    syn = {}
    flood_runs = [run_params(r["run"])[1] for r in linux["runs"] if r["run"].startswith("flood/")]
    if flood_runs:
        rates = sorted({float(p["rate"]) for p in flood_runs})
        syn["flood"] = synack_flood(rates, args.reps, workdir)
    if any(r["run"].startswith("tw-server/") for r in linux["runs"]):
        syn["tw_server"] = synack_tw_server(args.reps, workdir)
    syn["sched"] = {}
    for name, spec in SCHEDULES.items():
        if any(r["run"] == "schedule/" + name for r in linux["runs"]):
            syn["sched"][name] = synack_trace(spec["toml"])
    tw_ports = sorted({int(run_params(r["run"])[1]["ports"]) for r in linux["runs"] if r["run"].startswith("tw-reuse/")})
    if tw_ports:
        syn["tw_reuse"] = synack_tw_reuse(tw_ports, workdir)
    return syn


def main():
    roles = {"conn-server": role_conn_server, "conn-client": role_conn_client, "watch": role_watch}
    if len(sys.argv) > 1 and sys.argv[1] in roles:
        role = sys.argv[1]
        p = argparse.ArgumentParser(prog="connections.py " + role)
        p.add_argument("--dst")
        p.add_argument("--out")
        p.add_argument("--plan")
        p.add_argument("--start", type=float, default=0)
        p.add_argument("--deadline", type=float)
        p.add_argument("--backlog", type=int, default=BACKLOG)
        p.add_argument("--closer", default="client")
        p.add_argument("--request", type=int, default=REQUEST)
        p.add_argument("--response", type=int, default=RESPONSE)
        p.add_argument("--track", default="")
        p.add_argument("--interval", type=float, default=0.1)
        a = p.parse_args(sys.argv[2:])
        signal.alarm(int(max(0.0, a.deadline - mono())) + 60)  # bounded, always
        roles[role](a)
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", choices=SCENARIOS, default=SCENARIOS, help="Linux scenarios to (re)run")
    p.add_argument("--flood-rates", type=float, nargs="+", default=FLOOD_RATES)
    p.add_argument("--flood-seeds", type=int, default=FLOOD_SEEDS)
    p.add_argument("--cookies", type=int, nargs="+", choices=[0, 1], default=[0, 1])
    p.add_argument("--tw-ports", type=int, nargs="+", default=TWR_PORTS)
    p.add_argument("--parallel", type=int, default=MAX_PARALLEL, help="Linux runs at once")
    p.add_argument("--reps", type=int, default=10, help="synack replications (flood, tw-server)")
    p.add_argument("--synack-only", action="store_true",
                   help="no root: keep the Linux data in linux-conn-*.csv, rerun synack and the report")
    args = p.parse_args()

    def terminate(*_):
        raise KeyboardInterrupt  # the same orderly path as Ctrl-C

    signal.signal(signal.SIGTERM, terminate)
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    workdir = tempfile.mkdtemp(prefix="synack-conns-")
    try:
        if not args.synack_only:
            if os.geteuid() != 0:
                sys.exit("connections.py needs root for the Linux runs (or --synack-only)")
            sweep_leftovers(PREFIX, max(args.parallel, MAX_PARALLEL))
            try:
                run_linux(args, workdir)
            finally:
                sweep_leftovers(PREFIX, max(args.parallel, MAX_PARALLEL))
        linux = load_linux()
        if not linux["runs"]:
            sys.exit("no Linux data (linux-conn-runs.csv): run as root without --synack-only first")
        syn = run_synack(linux, args, workdir)
        report(linux, syn, args, started)
        log("wrote", os.path.join(HERE, "connections-results.md"))
    except KeyboardInterrupt:
        log("interrupted: runs under way finished, namespaces and devices removed; finished runs saved, no report")
        sys.exit(130)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
