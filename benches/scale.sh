#!/usr/bin/env bash
# Scale benchmark: generate N clusters x M objects with `meshproof dev gen-mesh`, then time, with
# peak RSS from /usr/bin/time -v:
#   collect   one scan of the dumps into a new store
#   findings  all checks on that scan (`findings -o json`)
#   who-added the who-added table of that scan (`who-added -o json`)
#   report    every format (pdf html csv json md oscal) of the `all` report from one analysis
#             (`report --format pdf,html,csv,json,md,oscal -o DIR`)
#   export    the auditor's bundle of that scan (`export --bundle DIR`: store copy, every format per
#             framework, inclusion proofs of every cited record)
#   scan      `scan --config` into another new store: collect, verify, who-added, findings and
#             the six reports in one process (what a CronJob runs)
#
#   cargo build --release && benches/scale.sh 50 100 200        # M defaults to 2000
#
# Prints one line per N (times in seconds, RSS and store in MiB, load average before the run).
# Work files go to ${WORK:-/tmp/meshproof-scale}; REPORTS=0 skips the per-format report timing.
set -euo pipefail
BIN=$(realpath "${BIN:-target/release/meshproof}")
M=${M:-2000}
WORK=${WORK:-/tmp/meshproof-scale}
REPORTS=${REPORTS:-1}
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
printf "%-8s %-8s %-9s %-7s %-10s %-7s %-9s %-9s %-7s %-9s %-7s %-7s %-7s %s\n" \
  clusters objects collect_s MiB findings_s MiB who_add_s report_s MiB export_s scan_s MiB store load_1m
for N in "$@"; do
  dir="$WORK/mesh-$N"; store="$WORK/store-$N.db"
  [ -d "$dir" ] || "$BIN" dev gen-mesh --clusters "$N" --objects-per-cluster "$M" "$dir" > /dev/null
  rm -rf "$store" "$store".* "$WORK/scan-$N"
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r cs cr < <(measure "collect-$N" "$BIN" --store "$store" -q collect --from "$dir" --as-of "$AS_OF")
  read -r fs fr < <(measure "findings-$N" "$BIN" --store "$store" -q --as-of "$AS_OF" findings -o json)
  read -r ws _ < <(measure "who-added-$N" "$BIN" --store "$store" -q --as-of "$AS_OF" who-added -o json)
  rs=- rr=-
  if [ "$REPORTS" = 1 ]; then
    rm -rf "$WORK/report-$N"
    read -r rs rr < <(measure "report-$N" "$BIN" --store "$store" -q report --as-of "$AS_OF" --format pdf,html,csv,json,md,oscal -o "$WORK/report-$N")
  fi
  rm -rf "$WORK/bundle-$N"
  read -r es _ < <(measure "export-$N" "$BIN" --store "$store" -q --as-of "$AS_OF" export --bundle "$WORK/bundle-$N")
  mkdir -p "$WORK/scan-$N"
  cat > "$WORK/scan-$N/meshproof.toml" <<TOML
as_of = "$AS_OF"
[store]
path = "$WORK/scan-$N/meshproof.db"
[sources]
from = ["$dir"]
[reports]
frameworks = ["all"]
formats = ["pdf", "html", "csv", "json", "md", "oscal"]
out_dir = "$WORK/scan-$N/out"
TOML
  read -r ss sr < <(measure "scan-$N" "$BIN" -q scan --config "$WORK/scan-$N/meshproof.toml")
  size=$(du -m "$store" | cut -f1)
  printf "%-8s %-8s %-9s %-7s %-10s %-7s %-9s %-9s %-7s %-9s %-7s %-7s %-7s %s\n" \
    "$N" "$((N * M))" "$cs" "$cr" "$fs" "$fr" "$ws" "$rs" "$rr" "$es" "$ss" "$sr" "$size" "$load"
done
