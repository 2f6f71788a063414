#!/usr/bin/env bash
# bench/compare.sh: the standard benchmark matrix, Octopus beside NATS, in one run on
# one machine, from a clean checkout: installs what is missing (.ci/deps), builds the release
# binaries, runs every scenario (each spawns its own hub or nats-server on loopback and stops
# it), appends each JSON result line to bench/results/<date>.json, then bench/report.py writes
# the markdown table (bench/results/<date>.md) and the plot (bench/results/<date>.png).
# BENCH_SECONDS (default 5) sets each timed run; BENCH_QUICK=1 runs a reduced matrix. A failed run
# is recorded with "ok": false and the matrix goes on; the exit status is 1 if any run failed, 2
# if the setup, the build or the report failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps || exit 2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j2 || exit 2

# Every result line records the commit it measured (a "-dirty" suffix: uncommitted changes).
OCTOPUS_BENCH_COMMIT=$(git describe --always --dirty 2>/dev/null || echo unknown)
export OCTOPUS_BENCH_COMMIT
bench=build/bin/octopus-bench
secs=${BENCH_SECONDS:-5}
stamp=$(date -u +%F)
out=bench/results/$stamp.json
mkdir -p bench/results || exit 2
: >"$out" || exit 2
failed=0

run() {
  echo "== octopus-bench $*" >&2
  local line
  line=$("$bench" "$@" --json | grep '^{' | tail -1)
  [ -n "$line" ] || line="{\"scenario\":\"$1\",\"ok\":false,\"error\":\"no result line\",\"args\":\"$*\"}"
  echo "$line" >>"$out"
  echo "$line" | grep -q '"ok":true' || failed=1
}

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  crab_counts=(10 100); sub_counts=(1 10); conns=1000; replay_n=100000
else
  crab_counts=(1 10 100 1000); sub_counts=(1 10 100 1000); conns=10000; replay_n=1000000
fi

for crabs in "${crab_counts[@]}"; do
  for fsync in always interval never; do
    run ingest --crabs "$crabs" --window 64 --seconds "$secs" --fsync "$fsync"
  done
  run ingest --spawn-nats --crabs "$crabs" --window 64 --seconds "$secs"
done
run ingest --crabs 10 --window 64 --seconds "$secs" --fsync always --idle-subscribers 1

for subs in "${sub_counts[@]}"; do
  # 1,000 subscribers at 10k/s is 10M deliveries/s, beyond both systems on 2 cores: 1k/s there.
  rate=10000; [ "$subs" -ge 1000 ] && rate=1000
  for target in octopus nats; do
    flag=(); [ "$target" = nats ] && flag=(--spawn-nats)
    run fanout "${flag[@]}" --crabs 10 --subscribers "$subs" --rate "$rate" --seconds "$secs"
  done
done
for rate in 100000 200000; do
  run fanout --crabs 10 --subscribers 10 --rate "$rate" --seconds "$secs"
  run fanout --spawn-nats --crabs 10 --subscribers 10 --rate "$rate" --seconds "$secs"
done

run connections --crabs "$conns"
run replay --snapshots "$replay_n"

python3 bench/report.py "$out" || exit 2
exit $failed
