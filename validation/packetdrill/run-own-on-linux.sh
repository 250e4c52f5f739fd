#!/usr/bin/env bash
# Runs synack's own packetdrill scripts (crates/drill/tests/scripts) on the real kernel, under
# packetdrill itself, each in a network namespace of its own, so that a script's sysctls do
# not leak into the next. Scripts in synack's dialect (`[remote_port N]`) cannot run there,
# and those whose header says `synack only:` (with the reason) do not pass there: both are
# skipped. Needs root, and a packetdrill binary built from google/packetdrill
# (gtests/net/packetdrill: ./configure && make); cubic and reno must be allowed
# congestion controls if a script asks for them (net.ipv4.tcp_allowed_congestion_control).
#
#   sudo validation/packetdrill/run-own-on-linux.sh PATH/TO/packetdrill
#
# Prints one line per script (PASS, FAIL with packetdrill's first complaint, SKIP) and
# exits non-zero if any script failed.
set -uo pipefail

if [[ $# -ne 1 || ! -x "$1" ]]; then
    echo "usage: $0 PATH/TO/packetdrill  (the binary)" >&2
    exit 2
fi
PACKETDRILL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPTS="$HERE/../../crates/drill/tests/scripts"
NS="synack-pd-$$"
failed=0

cd "$SCRIPTS"
echo "kernel $(uname -r)"
for f in *.pkt; do
    if grep -q '\[remote_port' "$f"; then
        echo "SKIP $f (synack's dialect)"
        continue
    fi
    if grep -q '^// synack only:' "$f"; then
        echo "SKIP $f (synack only)"
        continue
    fi
    ip netns add "$NS"
    out=$(timeout 120 ip netns exec "$NS" "$PACKETDRILL" "$f" 2>&1)
    rc=$?
    ip netns del "$NS"
    if [[ $rc -eq 0 ]]; then
        echo "PASS $f"
    else
        failed=1
        echo "FAIL $f: $(echo "$out" | grep -v '^$' | head -3 | tr '\n' ' ')"
    fi
done
exit $failed
