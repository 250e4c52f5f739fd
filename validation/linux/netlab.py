#!/usr/bin/env python3
"""The pieces compare.py and connections.py share: two network namespaces joined by TUN
devices (`Pair`), the user-space `wire` between them with synack's link semantics, and the
helpers to run commands in the namespaces and synack itself.

The wire is this file's one role, run as `python3 netlab.py wire ...` by `Pair`; nothing
here is meant to be run by hand except `python3 netlab.py selftest` (no root), which checks
the wire's link model against synack's rules (crates/link) and the packets it forges.

Per direction the wire is one synack link (crates/link/src/lib.rs, queue.rs): a drop-tail
queue of `queue` packets that counts the packet being serialised, serialisation at
`bandwidth` behind every earlier packet, then seeded Bernoulli loss (a lost packet has used
its queue slot and its serialisation time), then the propagation delay. For connections.py it
can also drop packets by kind (`--drop s2c:synack`: every SYN-ACK), forge a SYN flood from
spoofed addresses into the server's side (`--flood-rate`), and black-hole what the server
sends to any address but the client's (the answers to the spoofed SYNs).

Stdlib-only Python 3.
"""

import collections
import heapq
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ADDRS = ["10.77.0.1", "10.77.0.2"]  # client, server: the two ends of every Pair


def mono():
    return time.monotonic()


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def sleep_until(t):
    while True:
        d = t - mono()
        if d <= 0:
            return
        time.sleep(min(d, 0.5))


def counters():
    """nstat's view: /proc/net/snmp Tcp and /proc/net/netstat TcpExt of this namespace."""
    out = {}
    for path in ("/proc/net/snmp", "/proc/net/netstat"):
        with open(path) as f:
            lines = f.read().splitlines()
        for names, values in zip(lines[::2], lines[1::2]):
            pre, names = names.split(":", 1)
            if pre not in ("Tcp", "TcpExt"):
                continue
            for n, v in zip(names.split(), values.split(":", 1)[1].split()):
                out[pre + n] = int(v)
    return out


# ---------------------------------------------------------------------------------------
# Role: wire. Holds both TUN devices; one process, one select loop, one heap of releases.
# ---------------------------------------------------------------------------------------

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name):
    import fcntl

    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


TCP_FLAGS = [(0x01, "FIN"), (0x02, "SYN"), (0x04, "RST"), (0x08, "PSH"), (0x10, "ACK"),
             (0x20, "URG"), (0x40, "ECE"), (0x80, "CWR")]


def parse_tcp(pkt):
    """The IPv4/TCP header fields of one packet, or None if it is not IPv4 TCP."""
    if len(pkt) < 40 or pkt[0] >> 4 != 4 or pkt[9] != 6:
        return None
    ihl = (pkt[0] & 15) * 4
    total = struct.unpack("!H", pkt[2:4])[0]
    t = pkt[ihl:]
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", t[:16])
    doff = (off >> 4) * 4
    opts, i = [], 20
    while i < doff:
        kind = t[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        ln = t[i + 1] if i + 1 < doff else 2
        body = t[i + 2:i + ln]
        if kind == 2:
            opts.append("MSS=%d" % struct.unpack("!H", body)[0])
        elif kind == 3:
            opts.append("WS=%d" % body[0])
        elif kind == 4:
            opts.append("SACK_PERM")
        elif kind == 5:
            opts.append("SACK=%d" % (len(body) // 8))
        elif kind == 8:
            opts.append("TS")
        else:
            opts.append("opt%d" % kind)
        i += max(ln, 2)
    return dict(sport=sport, dport=dport, seq=seq, ack=ack, win=win,
                flags=",".join(n for b, n in TCP_FLAGS if flags & b),
                syn=bool(flags & 2), fin=bool(flags & 1),
                len=total - ihl - doff, opts=opts)


def inet_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def spoofed_syn(rng, dst, dport):
    """A SYN from a random address of 198.18.0.0/15 (RFC 2544's benchmarking range: no
    route anywhere but back into the wire) and a random port, with a random ISN and only an
    MSS option — what synack's `flood` workload sends (crates/world/src/workload/flood.rs),
    and what hping3 sends. Checksums are real: the server's stack verifies them."""
    src = struct.pack("!I", (198 << 24 | 18 << 16) + rng.randrange(1 << 17))
    dst = socket.inet_aton(dst)
    sport, seq = rng.randint(1024, 65535), rng.getrandbits(32)
    tcp = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 6 << 4, 0x02, 65535, 0, 0)
                    + struct.pack("!BBH", 2, 4, 1460))
    struct.pack_into("!H", tcp, 16, inet_checksum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + bytes(tcp)))
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), rng.getrandbits(16), 0x4000, 64, 6, 0,
                               src, dst))
    struct.pack_into("!H", ip, 10, inet_checksum(bytes(ip)))
    return bytes(ip + tcp)


def packet_kind(tcp):
    """The kinds a `--drop DIR:KIND` filter names: syn (SYN without ACK), synack, nonsyn
    (no SYN flag: ACKs, data, FINs, RSTs), any."""
    if tcp["syn"]:
        return "synack" if "ACK" in tcp["flags"] else "syn"
    return "nonsyn"


class Direction:
    """One direction of the link: crates/link's Channel with Bernoulli loss, no jitter."""

    def __init__(self, name, bps, delay_ns, limit, loss, seed):
        self.name, self.bps, self.delay_ns, self.limit, self.loss = name, bps, delay_ns, limit, loss
        self.rng = random.Random("%s/%s" % (seed, name))
        self.busy_scaled = 0  # end of the last serialisation, in ns * bps (queue.rs)
        self.unfinished = collections.deque()
        self.stats = collections.Counter()
        self.snd_max = None  # highest sequence end seen, to count retransmissions on the wire

    def transmit(self, now_ns, nbytes):
        """Departure + delay (ns), or 'queue' / 'loss'. Stages in synack's order."""
        draw = self.rng.random()  # one draw per packet, whatever happens to it
        while self.unfinished and self.unfinished[0] <= now_ns:
            self.unfinished.popleft()
        if len(self.unfinished) >= self.limit:
            return "queue"
        self.busy_scaled = max(self.busy_scaled, now_ns * self.bps) + nbytes * 8 * 10**9
        done = -(-self.busy_scaled // self.bps)
        self.unfinished.append(done)
        if draw < self.loss:
            return "loss"
        return done + self.delay_ns


class Flood:
    """Spoofed SYNs into the server's TUN: the k-th at start + k/rate (as synack's flood
    workload), moved by a uniform ±jitter (as synack's jittery attack link)."""

    def __init__(self, rate, start_s, stop_s, jitter_ms, dst, port, seed):
        self.period_ns, self.start_ns, self.stop_ns = 1e9 / rate, int(start_s * 1e9), int(stop_s * 1e9)
        self.jitter_ns, self.dst, self.port = jitter_ms * 1e6, dst, port
        self.rng = random.Random("%s/flood" % seed)
        self.k = 0

    def next_ns(self):
        """The unjittered instant of the next SYN, or None when the flood is over."""
        t = self.start_ns + int(self.k * self.period_ns)
        return t if t < self.stop_ns else None

    def take(self):
        """The next SYN and its (jittered) instant."""
        t = self.next_ns() + int(self.rng.uniform(-self.jitter_ns, self.jitter_ns))
        self.k += 1
        return t, spoofed_syn(self.rng, self.dst, self.port)


def selftest():
    """The wire's link model against crates/link's rules, and the forged SYNs (no root)."""
    bps, size, limit = 4_000_000, 1500, 50
    d = Direction("t", bps, 25_000_000, limit, 0.0, 1)
    # A burst at t = 0: the i-th packet finishes at ceil(i·bytes·8·1e9/bps) (queue.rs), and
    # the queue counts the packet being serialised, so packet limit + 1 is dropped.
    for i in range(1, limit + 1):
        want = -(-i * size * 8 * 10**9 // bps) + 25_000_000
        got = d.transmit(0, size)
        assert got == want, (i, got, want)
    assert d.transmit(0, size) == "queue"
    # Once the first packet has finished, one slot is free again.
    assert d.transmit(3_000_000, size) != "queue"
    assert d.transmit(3_000_000, size) == "queue"
    # A lost packet has used its queue slot and its serialisation time (loss after queue).
    lossy = Direction("t", bps, 0, 2, 1.0, 1)
    assert lossy.transmit(0, size) == "loss" and lossy.transmit(0, size) == "loss"
    assert lossy.transmit(0, size) == "queue"
    assert lossy.busy_scaled == 2 * size * 8 * 10**9
    # Bernoulli loss at the configured rate, the same draws whatever the rate.
    a, b = Direction("t", 10**12, 0, 10**9, 0.01, 7), Direction("t", 10**12, 0, 10**9, 0.02, 7)
    la = [a.transmit(i * 10**6, 100) == "loss" for i in range(200_000)]
    lb = [b.transmit(i * 10**6, 100) == "loss" for i in range(200_000)]
    assert all(y for x, y in zip(la, lb) if x), "a loss at 1 % is a loss at 2 %"
    assert abs(sum(la) / len(la) - 0.01) < 0.001, sum(la) / len(la)
    print("selftest: wire model agrees with crates/link (queue, serialisation, loss order)")
    # The flood: SYNs with valid IP and TCP checksums (a sum over a header including its
    # checksum is 0), spaced 1/rate apart within the jitter, from 198.18.0.0/15.
    f = Flood(100, 1.0, 2.0, 2.0, ADDRS[1], 5001, 3)
    times = []
    while f.next_ns() is not None:
        t, pkt = f.take()
        times.append(t)
        tcp = parse_tcp(pkt)
        assert tcp["flags"] == "SYN" and tcp["dport"] == 5001 and tcp["opts"] == ["MSS=1460"], tcp
        assert inet_checksum(pkt[:20]) == 0, "IP checksum"
        pseudo = pkt[12:20] + struct.pack("!BBH", 0, 6, len(pkt) - 20)
        assert inet_checksum(pseudo + pkt[20:]) == 0, "TCP checksum"
        assert pkt[12] == 198 and pkt[13] in (18, 19)
    assert len(times) == 100, len(times)
    assert all(abs(t - (10**9 + k * 10**7)) <= 2 * 10**6 for k, t in enumerate(times))
    print("selftest: forged SYNs have valid checksums and the flood's schedule")


def role_wire(a):
    fds = [open_tun(a.tun_a), open_tun(a.tun_b)]
    dirs = [Direction("c2s", a.bps, int(a.delay_ms * 1e6), a.queue, a.loss_c2s, a.seed),
            Direction("s2c", a.bps, int(a.delay_ms * 1e6), a.queue, a.loss_s2c, a.seed)]
    drops = set()
    for spec in a.drop or []:
        d, kind = spec.split(":")
        drops.add((["c2s", "s2c"].index(d), kind))
    flood = None
    fstats = collections.Counter()
    if a.flood_rate:
        flood = Flood(a.flood_rate, a.flood_start, a.flood_stop, a.flood_jitter_ms, a.flood_dst,
                      a.flood_port, a.seed)
    client = socket.inet_aton(a.client_addr) if a.client_addr else None
    holes = open(a.log_blackholed, "w") if a.log_blackholed else None
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(20))
        rt = True
    except (OSError, AttributeError):
        rt = False
    pcap = None
    if a.pcap:
        pcap = open(a.pcap, "wb")
        pcap.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 101))  # ns, raw IP
    print("ready", flush=True)
    # Releases: (instant, order, source, packet); source 0 and 1 are the directions (a
    # packet from TUN d goes out of TUN 1 - d), 2 the flood (into the server's TUN).
    heap, seqno, ladder, t0 = [], 0, [], None
    hard_end = mono() + a.max_seconds
    stdin = sys.stdin.fileno()
    running = True
    while running:
        now = time.monotonic_ns()
        while flood is not None and flood.next_ns() is not None and flood.next_ns() <= now + 10**7:
            t, pkt = flood.take()
            seqno += 1
            heapq.heappush(heap, (t, seqno, 2, pkt))
            fstats["syns"] += 1
        while heap and heap[0][0] <= now:
            _, _, d, pkt = heapq.heappop(heap)
            st = dirs[d].stats if d < 2 else fstats
            try:
                os.write(fds[0] if d == 1 else fds[1], pkt)
                st["written"] += 1
            except OSError:
                st["write_errors"] += 1
        if mono() > hard_end:
            break
        timeout = 0.2 if not heap else max(0.0, (heap[0][0] - time.monotonic_ns()) / 1e9)
        if flood is not None and flood.next_ns() is not None:
            timeout = min(timeout, max(0.0, (flood.next_ns() - 10**7 - time.monotonic_ns()) / 1e9))
        r, _, _ = select.select([fds[0], fds[1], stdin], [], [], min(timeout, 0.2))
        for fd in r:
            if fd == stdin:
                if not os.read(stdin, 4096):
                    running = False
                continue
            d = fds.index(fd)
            for _ in range(1000):
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                now = time.monotonic_ns()
                st = dirs[d].stats
                if len(pkt) < 20 or pkt[0] >> 4 != 4:
                    st["non_ipv4"] += 1
                    continue
                if d == 1 and client is not None and pkt[16:20] != client:
                    # For a spoofed address (the flood's): the answer goes nowhere.
                    fstats["blackholed"] += 1
                    if pkt[9] == 6 and len(pkt) >= 34 and pkt[33] & 0x12 == 0x12:
                        fstats["blackholed_synacks"] += 1
                        if holes:
                            holes.write("%d %s %d %d\n" % (now, socket.inet_ntoa(pkt[16:20]),
                                                           struct.unpack("!H", pkt[22:24])[0],
                                                           struct.unpack("!I", pkt[24:28])[0]))
                    continue
                if pcap:
                    pcap.write(struct.pack("<IIII", now // 10**9, now % 10**9, len(pkt), len(pkt)))
                    pcap.write(pkt)
                tcp = parse_tcp(pkt)
                if tcp is not None and ((d, packet_kind(tcp)) in drops or (d, "any") in drops):
                    fate = "filter"
                else:
                    fate = dirs[d].transmit(now, len(pkt))
                st["packets"] += 1
                st["bytes"] += len(pkt)
                data = tcp is not None and tcp["len"] > 0
                if tcp is not None and tcp["syn"] and "ACK" not in tcp["flags"]:
                    st["syn_packets"] += 1
                if tcp is not None and tcp["syn"] and "ACK" in tcp["flags"]:
                    st["synack_packets"] += 1
                if tcp is not None and "RST" in tcp["flags"]:
                    st["rst_packets"] += 1
                if data:
                    st["data_packets"] += 1
                    end = (tcp["seq"] + tcp["len"]) % 2**32
                    sm = dirs[d].snd_max
                    if sm is not None and ((end - sm) % 2**32) > 2**31 or end == sm:
                        st["data_retransmitted"] += 1
                    else:
                        dirs[d].snd_max = end
                if isinstance(fate, str):
                    st["dropped_" + fate] += 1
                    if data:
                        st["data_dropped_" + fate] += 1
                else:
                    seqno += 1
                    heapq.heappush(heap, (fate, seqno, d, pkt))
                if a.ladder and tcp is not None and len(ladder) < a.ladder:
                    if t0 is None:
                        t0 = now
                    rec = dict(t=(now - t0) / 1e9, t_abs=now / 1e9, dir=dirs[d].name,
                               fate=fate if isinstance(fate, str) else "delivered",
                               arrive=None if isinstance(fate, str) else (fate - t0) / 1e9)
                    rec.update(tcp)
                    ladder.append(rec)
    for fd in fds:
        os.close(fd)
    if holes:
        holes.close()
    if pcap:
        pcap.close()
    out = dict(rt=rt, c2s=dict(dirs[0].stats), s2c=dict(dirs[1].stats), flood=dict(fstats), ladder=ladder,
               undelivered=len(heap))
    with open(a.stats, "w") as f:
        json.dump(out, f)


def wire_args(argv):
    import argparse

    p = argparse.ArgumentParser(prog="netlab.py wire")
    for k in ("tun-a", "tun-b", "stats", "pcap", "client-addr", "flood-dst"):
        p.add_argument("--" + k)
    p.add_argument("--bps", type=int)
    p.add_argument("--delay-ms", type=float)
    p.add_argument("--queue", type=int)
    p.add_argument("--loss-c2s", type=float)
    p.add_argument("--loss-s2c", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--max-seconds", type=float)
    p.add_argument("--ladder", type=int, default=0)
    p.add_argument("--drop", action="append", help="DIR:KIND, DIR c2s|s2c, KIND syn|synack|nonsyn|any")
    p.add_argument("--flood-rate", type=float, default=0.0)
    p.add_argument("--flood-start", type=float, help="CLOCK_MONOTONIC seconds")
    p.add_argument("--flood-stop", type=float)
    p.add_argument("--flood-jitter-ms", type=float, default=0.0)
    p.add_argument("--flood-port", type=int)
    p.add_argument("--log-blackholed", help="write 'ns addr port seq' of every black-holed SYN-ACK here")
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------------
# Orchestration: namespaces, devices, one experiment through the wire.
# ---------------------------------------------------------------------------------------


def sh(*cmd, check=True, timeout=20):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout)


def nsexec(ns, *cmd, **kw):
    return sh("ip", "netns", "exec", ns, *cmd, **kw)


def read_line(proc, timeout):
    """One line from proc's stdout within timeout seconds, or raise."""
    r, _, _ = select.select([proc.stdout], [], [], timeout)
    if not r:
        raise RuntimeError("timed out waiting for %r" % proc.args)
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError("%r exited: %s" % (proc.args, proc.stderr.read() if proc.stderr else ""))
    return line.strip()


def pair_names(prefix, slot):
    """The namespaces and TUN devices of one Pair: <prefix><slot>c/s and <prefix>t<slot>c/s."""
    return ["%s%dc" % (prefix, slot), "%s%ds" % (prefix, slot)], ["%st%dc" % (prefix, slot), "%st%ds" % (prefix, slot)]


def sweep_leftovers(prefix, slots):
    """Whatever a hard interruption may have left: the namespaces and TUN devices named
    with this prefix, and nothing else."""
    for k in range(slots):
        ns, tun = pair_names(prefix, k)
        for name in ns:
            sh("ip", "netns", "del", name, check=False)
        for name in tun:
            sh("ip", "link", "del", name, check=False)


class Pair:
    """Two namespaces joined by the wire, for one experiment. A context manager that always
    cleans up.

    `script` is the file whose roles `spawn` runs in a namespace; `link` the wire's
    bandwidth_bps, delay_ms and queue (both directions); `sysctls` (namespace index 0 =
    client, 1 = server; "key=value") are set inside the namespaces after `tcp_sack`;
    `wire_extra` are more `wire` arguments (--drop, --flood-*); `server_default_route`
    routes everything the server sends into the wire (for answers to spoofed addresses,
    which the wire black-holes) and turns reverse-path filtering off there."""

    def __init__(self, slot, loss, seed, sack, workdir, ladder=0, pcap=None, max_seconds=120, loss_s2c=0.0,
                 script=None, link=None, prefix="slv", sysctls=(), wire_extra=(), server_default_route=False):
        self.slot, self.loss, self.seed, self.sack = slot, loss, seed, sack
        self.loss_s2c = loss_s2c
        self.ns, self.tun = pair_names(prefix, slot)
        self.addr = list(ADDRS)
        self.stats_path = os.path.join(workdir, "wire-%s%d.json" % (prefix, slot))
        self.ladder, self.pcap, self.max_seconds = ladder, pcap, max_seconds
        self.script, self.link, self.sysctls = script, link, sysctls
        self.wire_extra, self.server_default_route = list(wire_extra), server_default_route
        self.procs = []

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    p.kill()
                except OSError:
                    pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for ns in self.ns:
            sh("ip", "netns", "del", ns, check=False)
        for t in self.tun:
            sh("ip", "link", "del", t, check=False)

    def __enter__(self):
        self.cleanup()  # leftovers of an interrupted earlier run
        try:
            for ns in self.ns:
                sh("ip", "netns", "add", ns)
            cmd = [sys.executable, os.path.abspath(__file__), "wire", "--tun-a", self.tun[0], "--tun-b", self.tun[1],
                   "--bps", str(self.link["bandwidth_bps"]), "--delay-ms", str(self.link["delay_ms"]),
                   "--queue", str(self.link["queue"]), "--loss-c2s", str(self.loss), "--loss-s2c", str(self.loss_s2c),
                   "--seed", str(self.seed), "--stats", self.stats_path,
                   "--max-seconds", str(self.max_seconds), "--ladder", str(self.ladder)] + self.wire_extra
            if self.pcap:
                cmd += ["--pcap", self.pcap]
            self.wire = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True)
            self.procs.append(self.wire)
            if read_line(self.wire, 10) != "ready":
                raise RuntimeError("wire did not start")
            for i in (0, 1):
                ns, tun = self.ns[i], self.tun[i]
                sh("ip", "link", "set", tun, "netns", ns)
                nsexec(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
                nsexec(ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
                nsexec(ns, "sysctl", "-qw", "net.ipv4.tcp_sack=%d" % int(self.sack))
                for j, kv in self.sysctls:
                    if j == i:
                        nsexec(ns, "sysctl", "-qw", kv)
                nsexec(ns, "ip", "link", "set", "lo", "up")
                nsexec(ns, "ip", "addr", "add", self.addr[i], "peer", self.addr[1 - i] + "/32", "dev", tun)
                nsexec(ns, "ip", "link", "set", tun, "mtu", "1500", "up")
            if self.server_default_route:
                ns, tun = self.ns[1], self.tun[1]
                nsexec(ns, "ip", "route", "add", "default", "dev", tun)
                for conf in ("all", "default", tun):
                    nsexec(ns, "sysctl", "-qw", "net.ipv4.conf.%s.rp_filter=0" % conf)
        except BaseException:
            self.cleanup()
            raise
        return self

    def spawn(self, i, *args):
        p = subprocess.Popen(["ip", "netns", "exec", self.ns[i], sys.executable, self.script, *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def wire_stats(self):
        self.wire.stdin.close()
        self.wire.wait(timeout=10)
        with open(self.stats_path) as f:
            return json.load(f)

    def __exit__(self, *exc):
        self.cleanup()
        return False


def wait_ok(p, timeout, what):
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        raise RuntimeError("%s timed out" % what)
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (what, p.stderr.read()))


# ---------------------------------------------------------------------------------------
# synack.
# ---------------------------------------------------------------------------------------


def synack_bin():
    b = os.path.join(REPO, "target", "release", "synack")
    if not os.path.exists(b):
        sh("cargo", "build", "--release", "-p", "synack", timeout=1800)
    return b


def synack_runs(exp, sets, outdir, timeout=900):
    """`synack run exp --set k=v ...` into outdir: its runs.csv rows, or (None, error)."""
    import csv

    cmd = [synack_bin(), "run", exp, "--out", outdir, "--jobs", "2"]
    for k, v in sets.items():
        cmd += ["--set", "%s=%s" % (k, v)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1:] if p.stderr else ["failed"]
    with open(os.path.join(outdir, "runs.csv")) as f:
        return list(csv.DictReader(f)), None


if __name__ == "__main__":
    if sys.argv[1:2] == ["wire"]:
        args = wire_args(sys.argv[2:])
        import signal

        signal.alarm(int(args.max_seconds) + 30)  # bounded, always
        role_wire(args)
    elif sys.argv[1:2] == ["selftest"]:
        selftest()
    else:
        sys.exit("usage: netlab.py selftest (the wire is started by compare.py and connections.py)")
