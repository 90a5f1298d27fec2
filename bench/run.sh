#!/usr/bin/env bash
# Does screening cost anything you can feel? Runs the same load against the
# echo floor (bench/load/echo_server.cc: ScreeningService answering CLEAR
# without screening) and the real screening server, prints one table with each
# screening figure beside the echo figure, their ratio and the target, then the
# in-process Google Benchmarks (build/bench/**/*_bench). Loopback only; a few
# minutes in all. Not a test: the numbers depend on the machine and its load.
#
# usage: bench/run.sh [--no-build] [--duration S] [--warmup S] [--no-pin]
#                     [--echo-only] [--echo-api callback|sync] [--out FILE]
#                     [--bearer KEY] [--server-arg ARG]... [--audit-rounds N]
#                     [--audit-only]
#   BUILD_DIR (default <repo>/build) holds the binaries. --bearer sends an API
#   key to the screening server; --server-arg adds a flag to its command line.
#   --audit-rounds N (default 3, 0 skips): rounds of the audit cost table: a
#   server with --audit on and one with --audit off side by side, each scenario
#   run against both back to back.
#   --audit-only runs that table alone (no echo floor, no in-process benches).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
duration=5
warmup=1
pin=1
echo_only=0
build_first=1
echo_api=callback
out=
bearer=()
server_args=()
audit_rounds=3
audit_only=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --no-build) build_first=0 ;;
    --duration) duration=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --no-pin) pin=0 ;;
    --echo-only) echo_only=1 ;;
    --echo-api) echo_api=$2; shift ;;
    --out) out=$2; shift ;;
    --bearer) bearer=(--bearer "$2"); shift ;;
    --server-arg) server_args+=("$2"); shift ;;
    --audit-rounds) audit_rounds=$2; shift ;;
    --audit-only) audit_only=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ -n "$out" ]]; then exec > >(tee "$out") 2>&1; fi

# --- build -------------------------------------------------------------------
if [[ $build_first == 1 ]]; then
  if [[ ! -f "$build/build.ninja" && ! -f "$build/Makefile" ]]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  available=$(cmake --build "$build" --target help 2>/dev/null | sed -n 's/^\([A-Za-z0-9_.-]*\): .*/\1/p')
  targets=(echo-server screening-load)
  for t in $available; do
    case $t in screening-server|*_bench) targets+=("$t") ;; esac
  done
  echo "== building: ${targets[*]}"
  cmake --build "$build" --target "${targets[@]}" -j "$(nproc)" >/dev/null
fi

echo_bin=$build/bench/load/echo-server
load_bin=$build/bench/load/screening-load
screening_bin=$build/server/screening-server
for b in "$echo_bin" "$load_bin"; do
  [[ -x $b ]] || { echo "run.sh: $b is missing (build first, or drop --no-build)" >&2; exit 1; }
done
if [[ $echo_only == 0 && ! -x $screening_bin ]]; then
  echo "run.sh: $screening_bin not built yet: echo floor only"
  echo_only=1
fi

# --- placement ---------------------------------------------------------------
# With 2+ cores the server gets CPU 1 and the generator CPU 0, so neither steals
# the other's core and the figures repeat; --no-pin lets the kernel place both.
cores=$(nproc)
server_pin=()
client_pin=()
if [[ $pin == 1 && $cores -ge 2 ]]; then
  server_pin=(taskset -c 1)
  client_pin=(--cpu 0)
fi

work=$(mktemp -d)
server_pid=
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
cleanup() {
  stop_server
  for pid in ${on_pid:-} ${off_pid:-}; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}

# Waits (90 s at most) until a 1-call probe answers CLEAR: the server listens
# and has a snapshot.
wait_ready() {
  local target=$1 log=$2
  shift 2
  local deadline=$((SECONDS + 90))
  while ((SECONDS < deadline)); do
    kill -0 "$server_pid" 2>/dev/null || { echo "run.sh: server exited:"; cat "$log"; return 1; }
    if "$load_bin" --target "$target" --mode screen --inflight 1 --duration 0.1 --warmup 0 \
         --pool 16 --expect-clear "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "run.sh: server on $target never became ready:"; cat "$log"; return 1
}

listed=$root/lists/ofac-sdn-digital-currency-2026-08-20.csv
# name|generator arguments. Clean scenarios must answer CLEAR for every address.
scenarios=(
  "screen@1|--mode screen --inflight 1 --expect-clear"
  "screen@16|--mode screen --inflight 16 --expect-clear"
  "screen@64|--mode screen --inflight 64 --expect-clear"
  "screen@16+listed10%|--mode screen --inflight 16 --listed $listed --listed-share 0.1"
  "batch1000@4|--mode batch --batch-size 1000 --inflight 4 --expect-clear"
  "stream@256|--mode stream --inflight 256 --channels 1 --expect-clear"
  "stream1000x4|--mode stream --stream-batch 1000 --inflight 4 --expect-clear"
)

# CPU seconds the server process (all its threads) has used so far.
server_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$server_pid/stat"
}

# Runs one scenario against $target and appends its TSV line, with the
# server's CPU seconds during the run appended, to the file $out.
run_one() {
  local label=$1 target=$2 name=$3 args=$4 out=$5
  shift 5
  local cpu_before cpu_after
  cpu_before=$(server_cpu)
  # shellcheck disable=SC2086
  if ! "$load_bin" --target "$target" --server "$label" --scenario "$name" \
       --duration "$duration" --warmup "$warmup" "${client_pin[@]}" "$@" $args \
       >"$work/$label-$name.out" 2>"$work/$label-$name.err"; then
    echo "run.sh: $label $name: generator failed: $(tr '\n' ' ' <"$work/$label-$name.err")"
  fi
  cpu_after=$(server_cpu)
  grep '^tsv' "$work/$label-$name.out" |
    awk -v cpu="$(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN { printf "%.3f", b - a }')" \
      '{ print $0 "\t" cpu }' >>"$out" || true
}

run_scenarios() {
  local label=$1 target=$2
  shift 2
  for s in "${scenarios[@]}"; do
    run_one "$label" "$target" "${s%%|*}" "${s#*|}" "$work/results.tsv" "$@"
  done
}

# Starts the screening server on a free port with extra flags; sets
# server_pid and screening_target.
start_screening() {
  local db=$1 log=$2
  shift 2
  local port
  port=$(free_port)
  screening_target=127.0.0.1:$port
  (cd "$root" && exec "${server_pin[@]}" "$screening_bin" --listen "$screening_target" \
     --db "$db" --lists lists/sources.conf "${server_args[@]}" "$@") >"$log" 2>&1 &
  server_pid=$!
  wait_ready "$screening_target" "$log" "${bearer[@]}"
}

echo "== machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== pinning: $([[ ${#server_pin[@]} -gt 0 ]] && echo 'server on CPU 1, generator on CPU 0' || echo none)"
: >"$work/results.tsv"

if [[ $audit_only == 0 ]]; then
# --- echo floor --------------------------------------------------------------
"${server_pin[@]}" "$echo_bin" --api "$echo_api" --listen 127.0.0.1:0 --port-file "$work/echo.port" \
  >"$work/echo.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [[ -s "$work/echo.port" ]] && break; sleep 0.05; done
echo_target=127.0.0.1:$(cat "$work/echo.port")
wait_ready "$echo_target" "$work/echo.log"
echo "== echo server ($echo_api API) on $echo_target"
run_scenarios echo "$echo_target"
stop_server

# --- the real server ---------------------------------------------------------
if [[ $echo_only == 0 ]]; then
  start_screening "$work/x.db" "$work/screening.log"
  echo "== screening server on $screening_target"
  run_scenarios screening "$screening_target" "${bearer[@]}"
  stop_server
fi

# --- one table ---------------------------------------------------------------
# TSV columns: 1 tsv, 2 scenario, 3 server, 4 mode, 5 inflight, 6 channels,
# 7 seconds, 8 calls, 9 addresses, 10 errors, 11 calls/s, 12 addresses/s,
# 13 p50, 14 p99, 15 p99.9, 16 max, 17 clear, 18 match, 19 invalid,
# 20 addresses answered in all (warmup included), 21 generator CPU s, 22 server CPU s.
echo
echo "== screening vs echo floor (duration ${duration}s + ${warmup}s warmup per scenario)"
order=$(printf '%s\n' "${scenarios[@]}" | cut -d'|' -f1 | tr '\n' ' ')
awk -F'\t' -v order="$order" '
  { key = $2 SUBSEP $3; seen[key] = 1
    qps[key] = $11; aps[key] = $12; p50[key] = $13; p99[key] = $14; p999[key] = $15
    err[key] = $10; clear[key] = $17; nmatch[key] = $18; invalid[key] = $19
    scpu[key] = ($20 > 0) ? sprintf("%.2f", $22 * 1e6 / $20) : ""
    ccpu[key] = ($20 > 0) ? sprintf("%.2f", $21 * 1e6 / $20) : "" }
  function has(s, srv) { return ((s SUBSEP srv) in seen) }
  function num(s, srv, arr) { return has(s, srv) ? arr[s SUBSEP srv] : "" }
  function ratio(a, b) { return (a != "" && b != "" && b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
  function row(s, metric, e, r, target, result) {
    printf "%-20s %-12s %12s %12s %7s  %-28s %s\n", s, metric, e == "" ? "-" : e,
           r == "" ? "-" : r, ratio(r, e), target, result
  }
  function verdict(ok, have) { return have ? (ok ? "PASS" : "MISS") : "" }
  END {
    printf "%-20s %-12s %12s %12s %7s  %-28s %s\n", "scenario", "metric", "echo", "screening",
           "ratio", "target", "result"
    n = split(order, names, " ")
    for (i = 1; i <= n; i++) {
      s = names[i]
      if (!has(s, "echo") && !has(s, "screening")) continue
      e = "echo"; r = "screening"; have = has(s, r)
      batchy = (s ~ /^(batch|stream)/)
      if (batchy) {
        target = "screening >= 1,000,000/s"
        ok = num(s, r, aps) >= 1000000
        row(s, "addresses/s", num(s, e, aps), num(s, r, aps), target, verdict(ok, have))
      } else if (s == "screen@16") {
        ok = num(s, r, qps) >= 0.9 * num(s, e, qps)
        row(s, "calls/s", num(s, e, qps), num(s, r, qps), ">= 90% of echo", verdict(ok, have))
      } else {
        row(s, "calls/s", num(s, e, qps), num(s, r, qps), "", "")
      }
      row("", "p50 us", num(s, e, p50), num(s, r, p50), "", "")
      if (s == "screen@1") {
        ok = num(s, r, p99) <= num(s, e, p99) + 50
        row("", "p99 us", num(s, e, p99), num(s, r, p99), "<= echo p99 + 50 us", verdict(ok, have))
      } else if (s == "screen@16") {
        ok = num(s, r, p99) < 1000
        row("", "p99 us", num(s, e, p99), num(s, r, p99), "< 1000 us", verdict(ok, have))
      } else {
        row("", "p99 us", num(s, e, p99), num(s, r, p99), "", "")
      }
      row("", "p99.9 us", num(s, e, p999), num(s, r, p999), "", "")
      row("", "srv cpu us/a", num(s, e, scpu), num(s, r, scpu), "server CPU per address", "")
      row("", "gen cpu us/a", num(s, e, ccpu), num(s, r, ccpu), "generator CPU per address", "")
      if (has(s, r))
        printf "%-20s %-12s %12s %12s\n", "", "verdicts", "", \
               sprintf("%dC/%dM/%dI", clear[s SUBSEP r], nmatch[s SUBSEP r], invalid[s SUBSEP r])
      if (err[s SUBSEP e] + err[s SUBSEP r] > 0)
        printf "%-20s %-12s %12s %12s\n", "", "errors", err[s SUBSEP e], err[s SUBSEP r]
    }
  }' "$work/results.tsv"
echo
echo "== raw (TSV: scenario server mode inflight channels seconds calls addresses errors calls/s addresses/s p50 p99 p99.9 max clear match invalid all_addresses gen_cpu_s server_cpu_s)"
cut -f2- "$work/results.tsv"

fi  # audit_only

# --- audit on vs off (issue 6: the audit costs at most 15 % of Screen@16) ---
# Two servers run side by side, one with --audit on and one with --audit off,
# both pinned like the others; each scenario runs against both back to back
# (on then off, or off then on, alternating), so a pair of measurements is
# seconds apart and the host's drift mostly falls on both. The headline is the
# median over rounds of each pair's on/off ratio; the ratio of the medians is
# shown beside it. All clear is the target's case; with listed addresses mixed
# in (1 in 1,000, and a 10 % stress case) every MATCH also waits for its
# fsynced audit commit before it is answered (the audit log's durability
# contract).
audit_scenarios=(
  "screen@16|--mode screen --inflight 16 --expect-clear"
  "screen@16+listed0.1%|--mode screen --inflight 16 --listed $listed --listed-share 0.001"
  "screen@16+listed10%|--mode screen --inflight 16 --listed $listed --listed-share 0.1"
  "batch1000@4|--mode batch --batch-size 1000 --inflight 4 --expect-clear"
  "stream1000x4|--mode stream --stream-batch 1000 --inflight 4 --expect-clear"
)
if [[ $echo_only == 0 && $audit_rounds -gt 0 ]]; then
  : >"$work/audit.tsv"
  start_screening "$work/audit-on.db" "$work/audit-on.log" --audit on
  on_pid=$server_pid on_target=$screening_target
  start_screening "$work/audit-off.db" "$work/audit-off.log" --audit off
  off_pid=$server_pid off_target=$screening_target
  turn=0
  for round in $(seq "$audit_rounds"); do
    for s in "${audit_scenarios[@]}"; do
      if ((turn++ % 2)); then modes=(off on); else modes=(on off); fi
      for mode in "${modes[@]}"; do
        if [[ $mode == on ]]; then server_pid=$on_pid target=$on_target; else server_pid=$off_pid target=$off_target; fi
        run_one "audit-$mode" "$target" "${s%%|*}" "${s#*|}" "$work/audit.tsv" "${bearer[@]}"
      done
    done
  done
  server_pid=$on_pid; stop_server
  server_pid=$off_pid; stop_server
  echo
  echo "== audit on vs off: $audit_rounds rounds of back-to-back pairs (${duration}s + ${warmup}s warmup each)"
  python3 - "$work/audit.tsv" <<'PY'
import statistics, sys
rows = {}   # (scenario, server) -> [(addr_s, p99, cpu_us)] in round order
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    scenario, server = f[1], f[2]
    addr_s, p99 = float(f[11]), float(f[13])
    answered, server_cpu = float(f[19]), float(f[21])
    cpu_us = server_cpu * 1e6 / answered if answered > 0 else float("nan")
    rows.setdefault((scenario, server), []).append((addr_s, p99, cpu_us))
def med(values): return statistics.median(values) if values else float("nan")
print(f"{'scenario':<22}{'metric':<26}{'audit off':>14}{'audit on':>14}{'on/off':>8}  target")
for scenario in ["screen@16", "screen@16+listed0.1%", "screen@16+listed10%", "batch1000@4", "stream1000x4"]:
    off, on = rows.get((scenario, "audit-off"), []), rows.get((scenario, "audit-on"), [])
    if not off or not on: continue
    pairs = [b[0] / a[0] for a, b in zip(off, on) if a[0] > 0]
    paired = med(pairs)
    a_off, a_on = med([r[0] for r in off]), med([r[0] for r in on])
    target, result = "", ""
    if scenario == "screen@16":
        target = ">= 0.85 (cost <= 15 %)"
        result = "PASS" if paired >= 0.85 else "MISS"
    print(f"{scenario:<22}{'addresses/s, paired ratio':<26}{a_off:>14.0f}{a_on:>14.0f}{paired:>8.2f}  {target} {result}")
    print(f"{'':<22}{'pairs (on/off)':<26}{' '.join(f'{p:.2f}' for p in pairs):>36}")
    print(f"{'':<22}{'ratio of medians':<26}{'':>28}{a_on / a_off if a_off else float('nan'):>8.2f}")
    c_off, c_on = med([r[2] for r in off]), med([r[2] for r in on])
    print(f"{'':<22}{'server CPU us/address':<26}{c_off:>14.2f}{c_on:>14.2f}{c_on / c_off:>8.2f}")
    print(f"{'':<22}{'p99 us':<26}{med([r[1] for r in off]):>14.0f}{med([r[1] for r in on]):>14.0f}")
PY
fi

if [[ $audit_only == 1 ]]; then exit 0; fi

# --- in-process benchmarks ---------------------------------------------------
mapfile -t benches < <(find "$build/bench" -type f -executable -name '*_bench' 2>/dev/null | sort)
for b in "${benches[@]}"; do
  echo
  echo "== ${b#"$build"/}"
  # 0.2 s per benchmark keeps the whole script within a few minutes.
  timeout 300 "$b" --benchmark_format=console --benchmark_min_time="${BENCH_MIN_TIME:-0.2}" ||
    echo "run.sh: ${b#"$build"/} exited with $?"
done
