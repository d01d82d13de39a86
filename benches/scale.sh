#!/usr/bin/env bash
# Scale benchmark: generate N clusters x M objects with `meshproof dev gen-mesh`, then time
# `collect` (one scan into a new store) and `findings` on it, with peak RSS from /usr/bin/time -v.
#
#   cargo build --release && benches/scale.sh 50 100 200        # M defaults to 2000
#
# Prints one line per N: clusters, objects, collect s, collect RSS MiB, findings s, findings RSS
# MiB, store MiB, load average before the run. Work files go to ${WORK:-/tmp/meshproof-scale}.
set -euo pipefail
BIN=${BIN:-target/release/meshproof}
M=${M:-2000}
WORK=${WORK:-/tmp/meshproof-scale}
AS_OF=2026-12-01T00:00:00Z
mkdir -p "$WORK"
measure() { # label, command...: prints "seconds rss_mib"
  local log="$WORK/time.$1.log"; shift
  /usr/bin/time -v "$@" > /dev/null 2> "$log" || { cat "$log" >&2; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  echo "$wall $rss"
}
printf "%-8s %-9s %-10s %-12s %-11s %-13s %-9s %s\n" clusters objects collect_s collect_MiB findings_s findings_MiB store_MiB load_1m
for N in "$@"; do
  dir="$WORK/mesh-$N"; store="$WORK/store-$N.db"
  [ -d "$dir" ] || "$BIN" dev gen-mesh --clusters "$N" --objects-per-cluster "$M" "$dir" > /dev/null
  rm -f "$store" "$store".*
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r cs cr < <(measure "collect-$N" "$BIN" --store "$store" -q collect --from "$dir" --as-of "$AS_OF")
  read -r fs fr < <(measure "findings-$N" "$BIN" --store "$store" -q --as-of "$AS_OF" findings -o json)
  size=$(du -m "$store" | cut -f1)
  printf "%-8s %-9s %-10s %-12s %-11s %-13s %-9s %s\n" "$N" "$((N * M))" "$cs" "$cr" "$fs" "$fr" "$size" "$load"
done
