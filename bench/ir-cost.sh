#!/usr/bin/env bash
# bench/ir-cost.sh: machine instructions (valgrind callgrind's Ir) a luatls
# server spends per operation, split by library (libcrypto, liblua, libc,
# luatls, ...). Unlike CPU time on a shared 2-core machine this count moves by
# a per cent or two between runs, so it is the figure to compare two builds,
# two versions of lua/ or two server scripts with.
#
#   bench/ir-cost.sh [--luatls PATH] [--script FILE] MODE [N]
#
# MODE  hs-ec | hs-rsa   N full TLS 1.3 handshakes (default 200), 20 in flight
#       hs-resume        N resumed ones (tickets; ECDSA certificate)
#       echo16           16-byte echo, 20 connections, 5 s (N: ignored)
#       bulk             N MiB client -> server, discarded (default 64)
# --luatls  the interpreter (build-release/luatls); --script the server
# (bench/servers/luatls.lua, same arguments). Needs valgrind and
# build-bench/loadgen (bench/run builds it). Only the measured window is
# counted: instrumentation is switched on after a warm-up and off after it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build-release/luatls
script=$root/bench/servers/luatls.lua
while [ $# -gt 0 ]; do
  case $1 in
    --luatls) bin=$2; shift 2 ;;
    --script) script=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
mode=${1:?usage: bench/ir-cost.sh [--luatls PATH] [--script FILE] hs-ec|hs-rsa|hs-resume|echo16|bulk [N]}
n=${2:-}
certs=$root/build/test-certs
lg=$root/build-bench/loadgen
[ -x "$lg" ] || { echo "bench/ir-cost.sh: build $lg first (bench/run, or cmake -S bench -B build-bench)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "bench/ir-cost.sh: valgrind is not installed" >&2; exit 2; }
bash "$root/scripts/make-certs" "$certs" >/dev/null

case $mode in
  hs-ec | hs-resume) key=ec smode=echo ;;
  hs-rsa) key=rsa smode=echo ;;
  echo16) key=rsa smode=echo ;;
  bulk) key=rsa smode=discard ;;
  *) echo "bench/ir-cost.sh: unknown mode $mode" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'kill "$vpid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=$((19500 + RANDOM % 400))
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$tmp/cg.out" \
  "$bin" "$script" "$port" "$smode" "$key" "$certs" >"$tmp/server.log" 2>&1 &
vpid=$!
for _ in $(seq 300); do grep -q '^listening' "$tmp/server.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^listening' "$tmp/server.log" || { cat "$tmp/server.log" >&2; exit 1; }

common=(--port "$port" --ca "$certs/ca-cert.pem" --timeout 60)
"$lg" handshake --count 20 --inflight 10 --tls13 "${common[@]}" >/dev/null 2>&1 # warm-up
callgrind_control -i on "$vpid" >/dev/null 2>&1
case $mode in
  hs-*) n=${n:-200}
    extra=(); [ "$mode" = hs-resume ] && extra=(--resume ticket)
    "$lg" handshake --count "$n" --inflight 20 --tls13 "${extra[@]}" "${common[@]}" >"$tmp/lg.out" 2>&1 ;;
  echo16) "$lg" echo --conns 20 --size 16 --seconds 5 --warmup 0 "${common[@]}" >"$tmp/lg.out" 2>&1 ;;
  bulk) n=${n:-64}
    "$lg" bulk --size "${n}M" --discard --ciphersuites TLS_AES_128_GCM_SHA256 "${common[@]}" >"$tmp/lg.out" 2>&1 ;;
esac
callgrind_control -i off "$vpid" >/dev/null 2>&1
callgrind_control -d "$vpid" >/dev/null 2>&1
sleep 1
grep -q 'status=ok' "$tmp/lg.out" || { echo "bench/ir-cost.sh: loadgen failed:" >&2; cat "$tmp/lg.out" >&2; exit 1; }
unit=handshake
case $mode in
  echo16) n=$(grep -o 'messages=[0-9]*' "$tmp/lg.out" | head -1 | cut -d= -f2); unit=message ;;
  bulk) unit=MiB ;;
esac

callgrind_annotate --threshold=100 "$tmp/cg.out.1" 2>/dev/null | awk -v n="$n" -v unit="$unit" -v mode="$mode" '
  / PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
  /\[/ { gsub(",", "", $1); match($0, /\[[^]]*\]/); o = substr($0, RSTART + 1, RLENGTH - 2)
         k = split(o, a, "/"); lib[a[k]] += $1 }
  END {
    printf "%s: %d %s%s, %.0f instructions per %s\n", mode, n, unit, unit == "MiB" ? "" : "s", total / n, unit
    for (l in lib) printf "%14.0f  %5.1f%%  %s\n", lib[l] / n, 100 * lib[l] / total, l | "sort -rn"
  }'
