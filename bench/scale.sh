#!/usr/bin/env bash
# The scale run: 10 million valid addresses through the real server.
#
#  1. scale-tool generate writes a deterministic listing-csv of N valid
#     addresses (EVM, base58check P2PKH/P2SH, bech32 P2WPKH/P2WSH, TRON) into a
#     temporary folder (about 100 bytes a row: ~1 GB for 10M), never the repo.
#  2. screening-server import of the default lists + that file: wall time, CPU,
#     peak resident memory (GNU time), database size.
#  3. Cold start of the server on that database: exec -> grpc.health.v1 answers
#     SERVING (the persisted filter is loaded, no re-import), then resident
#     memory (VmRSS, RssAnon, RssFile from /proc/PID/status) while serving,
#     and the background refresh of the unchanged sources (its duration, CPU and
#     the process's peak memory), measured separately.
#  4. Screen latency (bench/load screening-load) on the 10M database and on a
#     default-lists database, same scenarios, server and generator pinned to
#     different CPUs; ratio of the two.
#  5. The persisted 10M filter's false-positive rate on N random non-members
#     against the filter's own prediction.
# Loopback only. Not a test: about 10 minutes for 10M on 2 cores.
#
# usage: bench/scale.sh [--count N] [--seed S] [--duration S] [--keep] [--no-build] [--out FILE]
#   BUILD_DIR (default <repo>/build) holds the binaries; TMPDIR picks the disk.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
count=10000000
seed=1
duration=5
keep=0
build_first=1
out=
while [[ $# -gt 0 ]]; do
  case $1 in
    --count) count=$2; shift ;;
    --seed) seed=$2; shift ;;
    --duration) duration=$2; shift ;;
    --keep) keep=1 ;;
    --no-build) build_first=0 ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "scale.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ -n "$out" ]]; then exec > >(tee "$out") 2>&1; fi

if [[ $build_first == 1 ]]; then
  if [[ ! -f "$build/build.ninja" && ! -f "$build/Makefile" ]]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  echo "== building screening-server scale-tool screening-load in $build"
  cmake --build "$build" --target screening-server scale-tool screening-load -j "$(nproc)" >/dev/null
fi
server_bin=$build/server/screening-server
tool_bin=$build/bench/scale/scale-tool
load_bin=$build/bench/load/screening-load
for b in "$server_bin" "$tool_bin"; do
  [[ -x $b ]] || { echo "scale.sh: $b is missing (build first, or drop --no-build)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/screening-scale-XXXXXX")
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
  if [[ $keep == 1 ]]; then echo "== kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}
now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.0f", kb / 1024 }'; }
bytes_mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
# GNU time -v output -> "wall_s cpu_s peak_mb"
time_summary() {
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = (n == 3) ? p[1] * 3600 + p[2] * 60 + p[3] : p[1] * 60 + p[2] }
    /User time/ { user = $2 } /System time/ { sys = $2 } /Maximum resident/ { rss = $2 }
    END { printf "%.1f %.1f %.0f\n", wall, user + sys, rss / 1024 }' "$1"
}

cores=$(nproc)
echo "== machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== work folder $work ($(df -h --output=avail "$work" | tail -1 | tr -d ' ') free)"
server_pin=()
client_pin=()
if [[ $cores -ge 2 ]]; then server_pin=(taskset -c 1); client_pin=(--cpu 0); fi

# --- 1. generate ---------------------------------------------------------------
# Shards of at most 2.5M rows (~280 MB): a source file may not exceed 512 MiB
# (lists/fetch), and real deployments load several lists anyway.
shard_rows=2500000
shards=$(( (count + shard_rows - 1) / shard_rows ))
t0=$(now_ns)
: >"$work/listed.txt"
scale_sources=
for ((s = 0; s < shards; s++)); do
  first=$((s * shard_rows))
  n=$(( count - first < shard_rows ? count - first : shard_rows ))
  "$tool_bin" generate --first "$first" --count "$n" --seed "$seed" --out "$work/scale-$s.csv" \
    --sample "$work/listed-$s.txt" --sample-count $((10000 / shards))
  cat "$work/listed-$s.txt" >>"$work/listed.txt"
  scale_sources+=$(printf '\n[source scale-%d]\nlist_id = SCALE\nkind = sanctions\nformat = listing-csv\nlocation = %s\n' "$s" "$work/scale-$s.csv")
  scale_sources+=$'\n'
done
gen_ms=$(ms_since "$t0")
csv_bytes=$(cat "$work"/scale-*.csv | wc -c)
echo "== generated $count addresses ($shards files) in $((gen_ms / 1000)).$(((gen_ms % 1000) / 100)) s: $(bytes_mb "$csv_bytes") MB"

cat >"$work/default.conf" <<EOF
[source ofac-sdn-crypto]
list_id = OFAC-SDN
kind = sanctions
format = listing-csv
location = $root/lists/ofac-sdn-digital-currency-2026-08-20.csv

[source fbi-dprk]
list_id = FBI-DPRK
kind = attribution
format = listing-csv
location = $root/lists/fbi-dprk-attributions.csv
EOF
{ cat "$work/default.conf"; echo "$scale_sources"; } >"$work/scale.conf"

# --- 2. import -------------------------------------------------------------------
echo "== importing (screening-server import)"
/usr/bin/time -v "$server_bin" import --db "$work/scale.db" --lists "$work/scale.conf" --log-level warn \
  >"$work/import.out" 2>"$work/import.time" || { cat "$work/import.out" "$work/import.time"; exit 1; }
read -r import_wall import_cpu import_peak < <(time_summary "$work/import.time")
head -1 "$work/import.out"
db_bytes=$(du -cb "$work"/scale.db* | tail -1 | cut -f1)
"$server_bin" import --db "$work/default.db" --lists "$work/default.conf" --log-level warn >/dev/null
default_db_bytes=$(du -cb "$work"/default.db* | tail -1 | cut -f1)

# --- 3. cold start, memory, background refresh -------------------------------------
# start_server NAME DB CONF: sets server_pid, port, start_ms (exec -> SERVING).
start_server() {
  local name=$1 db=$2 conf=$3
  port=$(free_port)
  local t=$(now_ns)
  "${server_pin[@]}" "$server_bin" --listen "127.0.0.1:$port" --db "$db" --lists "$conf" \
    >"$work/$name.log" 2>&1 &
  server_pid=$!
  if ! "$tool_bin" probe --target "127.0.0.1:$port" --timeout 60; then cat "$work/$name.log"; exit 1; fi
  start_ms=$(ms_since "$t")
}
# Waits for the background refresh's log line, sampling the peak memory.
watch_refresh() {
  local name=$1 t=$2 peak_anon=0 anon
  for _ in $(seq 12000); do  # up to ~20 minutes
    anon=$(status_kb "$server_pid" RssAnon); (( anon > peak_anon )) && peak_anon=$anon
    if grep -q 'lists refreshed\|list refresh failed' "$work/$name.log"; then break; fi
    sleep 0.1
  done
  refresh_ms=$(ms_since "$t")
  refresh_peak_anon=$peak_anon
  refresh_line=$(grep -m1 -o 'lists refreshed.*\|list refresh failed.*' "$work/$name.log" || echo "no refresh seen")
}

declare -A start_ms_of rss_of anon_of file_of refresh_ms_of refresh_cpu_of refresh_peak_of refresh_hwm_of after_anon_of
for name in default scale; do
  t=$(now_ns)
  cpu0=0
  start_server "$name" "$work/$name.db" "$work/$name.conf"
  start_ms_of[$name]=$start_ms
  watch_refresh "$name" "$t"
  sleep 1
  refresh_ms_of[$name]=$refresh_ms
  refresh_cpu_of[$name]=$(cpu_s "$server_pid")
  refresh_peak_of[$name]=$(mb "$refresh_peak_anon")
  refresh_hwm_of[$name]=$(mb "$(status_kb "$server_pid" VmHWM)")
  rss_of[$name]=$(mb "$(status_kb "$server_pid" VmRSS)")
  anon_of[$name]=$(mb "$(status_kb "$server_pid" RssAnon)")
  file_of[$name]=$(mb "$(status_kb "$server_pid" RssFile)")
  echo "== $name: SERVING after ${start_ms} ms; background refresh: $refresh_line"

  # --- 4. latency on this database ---
  listed=$work/listed.txt
  [[ $name == default ]] && listed=$root/lists/ofac-sdn-digital-currency-2026-08-20.csv
  if [[ -x $load_bin ]]; then
    for scenario in "screen@1|--inflight 1 --expect-clear" "screen@16|--inflight 16 --expect-clear" \
                    "screen@16+listed10%|--inflight 16 --listed $listed --listed-share 0.1"; do
      sname=${scenario%%|*}
      # shellcheck disable=SC2086
      "$load_bin" --target "127.0.0.1:$port" --server "$name" --scenario "$sname" --mode screen \
        --duration "$duration" --warmup 1 "${client_pin[@]}" ${scenario#*|} >"$work/load-$name-$sname.out" 2>&1 ||
        echo "scale.sh: $name $sname: generator failed: $(tail -3 "$work/load-$name-$sname.out" | tr '\n' ' ')"
      grep '^tsv' "$work/load-$name-$sname.out" >>"$work/load.tsv" || true
    done
    rss_of[$name]="${rss_of[$name]}/$(mb "$(status_kb "$server_pid" VmRSS)")"
    anon_of[$name]="${anon_of[$name]}/$(mb "$(status_kb "$server_pid" RssAnon)")"
  fi
  stop_server
done

# --- 5. filter false-positive rate -------------------------------------------------
fpr_line=$("$tool_bin" fpr --db "$work/scale.db" --count "$count")

# --- report --------------------------------------------------------------------------
echo
echo "== scale run: $count generated addresses + the default lists"
printf '%-44s %14s %14s  %s\n' "measure" "default lists" "10M list" "target"
printf '%-44s %14s %14s  %s\n' "list file (MB)" "-" "$(bytes_mb "$csv_bytes")" ""
printf '%-44s %14s %14s  %s\n' "generate (s)" "-" "$((gen_ms / 1000)).$(((gen_ms % 1000) / 100))" ""
printf '%-44s %14s %14s  %s\n' "import wall (s) / CPU (s)" "-" "$import_wall / $import_cpu" ""
printf '%-44s %14s %14s  %s\n' "import peak RSS (MB)" "-" "$import_peak" ""
printf '%-44s %14s %14s  %s\n' "database size (MB, with WAL)" "$(bytes_mb "$default_db_bytes")" "$(bytes_mb "$db_bytes")" ""
printf '%-44s %14s %14s  %s\n' "cold start: exec -> SERVING (ms)" "${start_ms_of[default]}" "${start_ms_of[scale]}" "<= 3000"
printf '%-44s %14s %14s  %s\n' "background refresh, unchanged (ms)" "${refresh_ms_of[default]}" "${refresh_ms_of[scale]}" ""
printf '%-44s %14s %14s  %s\n' "  process CPU until it ended (s)" "${refresh_cpu_of[default]}" "${refresh_cpu_of[scale]}" ""
printf '%-44s %14s %14s  %s\n' "  peak RssAnon sampled / VmHWM (MB)" "${refresh_peak_of[default]} / ${refresh_hwm_of[default]}" "${refresh_peak_of[scale]} / ${refresh_hwm_of[scale]}" ""
printf '%-44s %14s %14s  %s\n' "serving VmRSS (MB) before/after load" "${rss_of[default]}" "${rss_of[scale]}" ""
printf '%-44s %14s %14s  %s\n' "serving RssAnon (MB) before/after load" "${anon_of[default]}" "${anon_of[scale]}" "< 300"
printf '%-44s %14s %14s  %s\n' "serving RssFile (MB)" "${file_of[default]}" "${file_of[scale]}" "page cache"
if [[ -s $work/load.tsv ]]; then
  # TSV: 2 scenario, 3 server, 11 calls/s, 13 p50, 14 p99, 15 p99.9, 17 clear, 18 match, 10 errors
  awk -F'\t' '
    { key = $2 SUBSEP $3; qps[key] = $11; p50[key] = $13; p99[key] = $14; p999[key] = $15
      verdicts[key] = $17 "C/" $18 "M/" $10 "E"; if (!($2 in seen)) { seen[$2] = 1; order[n++] = $2 } }
    function ratio(a, b) { return (b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
    END {
      for (i = 0; i < n; i++) {
        s = order[i]; d = s SUBSEP "default"; x = s SUBSEP "scale"
        printf "%-44s %14s %14s  ratio %s\n", s " calls/s", qps[d], qps[x], ratio(qps[x], qps[d])
        printf "%-44s %14s %14s  ratio %s (<= 1.2)\n", s " p50 us", p50[d], p50[x], ratio(p50[x], p50[d])
        printf "%-44s %14s %14s  ratio %s (<= 1.2)\n", s " p99 us", p99[d], p99[x], ratio(p99[x], p99[d])
        printf "%-44s %14s %14s  ratio %s\n", s " p99.9 us", p999[d], p999[x], ratio(p999[x], p999[d])
        printf "%-44s %14s %14s\n", s " verdicts", verdicts[d], verdicts[x]
      }
    }' "$work/load.tsv"
else
  echo "(no latency: $load_bin is not built)"
fi
echo "== filter on $count random non-members: $fpr_line"
