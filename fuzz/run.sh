#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang-14, OCTOPUS_FUZZ=ON) and, for each target,
# replays its fuzz/regressions/ inputs once, then fuzzes it for a bounded time on a copy of its
# seed corpus (fuzz/corpus/ only grows with --merge). Prints executions, exec/s and CPU seconds
# per target; exits non-zero if any target crashed, leaked or timed out, keeping the input.
#
#   bash fuzz/run.sh [--seconds N] [--runs N] [--jobs N] [--merge | --replay] [TARGET...]
#
#   --seconds N  fuzz each target for N >= 1 seconds (-max_total_time, default 30)
#   --runs N     also stop each target after N executions (-runs)
#   --jobs N     parallel compile jobs for the build (default: all cores)
#   --merge      add the new inputs that raise coverage to fuzz/corpus/TARGET (-merge=1)
#   --replay     only replay fuzz/regressions/TARGET/ (no fuzzing)
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_CC / FUZZ_CXX (default clang-14).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FUZZ=$ROOT/fuzz
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
CC_FUZZ=${FUZZ_CC:-clang-14}
CXX_FUZZ=${FUZZ_CXX:-clang++-14}
ALL=(fuzz_crab_decoder fuzz_subscriber_messages fuzz_alert_condition fuzz_config
  fuzz_alert_config fuzz_http_target fuzz_token_file)
LIBFUZZER_LIMITS=(-timeout=10 -rss_limit_mb=2048)
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}  # a UBSan report with its stack

seconds=30
runs=""
jobs=$(nproc)
merge=0
replay_only=0
targets=()
failed=()
regressions_failed=()
summary=()

usage() {
  sed -n '7,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --seconds) seconds=${2:?}; shift 2 ;;
      --runs) runs=${2:?}; shift 2 ;;
      --jobs) jobs=${2:?}; shift 2 ;;
      --merge) merge=1; shift ;;
      --replay) replay_only=1; shift ;;
      -h | --help) usage ;;
      -*) echo "unknown option $1" >&2; usage ;;
      *) targets+=("$1"); shift ;;
    esac
  done
  [[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "--seconds needs a whole number >= 1" >&2; exit 2; }
  [ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")
  for t in "${targets[@]}"; do
    [[ " ${ALL[*]} " == *" $t "* ]] || { echo "unknown target $t (known: ${ALL[*]})" >&2; exit 2; }
  done
}

# Configures build-fuzz/ unless it already holds a fuzz build system, then builds the targets.
configure_and_build() {
  mkdir -p "$BUILD"
  if ! grep -qs '^OCTOPUS_FUZZ:BOOL=ON' "$BUILD/CMakeCache.txt" ||
    { [ ! -f "$BUILD/Makefile" ] && [ ! -f "$BUILD/build.ninja" ]; }; then
    CC=$CC_FUZZ CXX=$CXX_FUZZ cmake -S "$ROOT" -B "$BUILD" -DOCTOPUS_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD/fuzz-configure.log" 2>&1 ||
      { cat "$BUILD/fuzz-configure.log"; exit 1; }
  fi
  cmake --build "$BUILD" --target "${targets[@]}" -j "$jobs"
}

dict_for() {
  case $1 in
    fuzz_crab_decoder | fuzz_subscriber_messages) echo "$FUZZ/dict/json.dict" ;;
    fuzz_config | fuzz_alert_config | fuzz_token_file) echo "$FUZZ/dict/toml.dict" ;;
    fuzz_alert_condition) echo "$FUZZ/dict/condition.dict" ;;
    fuzz_http_target) echo "$FUZZ/dict/http.dict" ;;
  esac
}

# Prints the sanitizer report or broken invariant of a failed run and, given the marker file of
# the run's start, the inputs libFuzzer saved since.
report_failure() {
  local t=$1 log=$2 marker=${3:-}
  echo "!! $t FAILED; log: $log"
  grep -n -m1 -B2 -A40 -E '==ERROR|fuzz invariant broken|runtime error|ALARM|Live Heap|out-of-memory' \
    "$log" || tail -n 40 "$log"
  [[ " ${failed[*]} " == *" $t "* ]] || failed+=("$t")
  [ -n "$marker" ] || return 0
  local found
  found=$(find "$BUILD/fuzz-work/$t/artifacts" -type f -newer "$marker" 2>/dev/null || true)
  for f in $found; do
    echo "!! input kept: $f"
    echo "   reproduce: $BUILD/bin/$t $f"
    echo "   once fixed: cp $f $FUZZ/regressions/$t/"
  done
}

# Runs the target once on each file in fuzz/regressions/TARGET/ (one process per file, so that
# every failing input is reported, not only the first).
replay_regressions() {
  local t=$1 work=$BUILD/fuzz-work/$1
  local files=() bad=()
  [ -d "$FUZZ/regressions/$t" ] &&
    while IFS= read -r -d '' f; do files+=("$f"); done \
      < <(find "$FUZZ/regressions/$t" -type f ! -name '.*' -print0 | sort -z)
  [ ${#files[@]} -gt 0 ] || return 0
  mkdir -p "$work/artifacts"
  : >"$work/regressions.log"
  for f in "${files[@]}"; do
    "$BUILD/bin/$t" "${LIBFUZZER_LIMITS[@]}" -artifact_prefix="$work/artifacts/" "$f" \
      >>"$work/regressions.log" 2>&1 || bad+=("${f#"$FUZZ"/}")
  done
  if [ ${#bad[@]} -eq 0 ]; then
    echo "   regressions: ${#files[@]} input(s) pass"
    return 0
  fi
  echo "!! $t fails on ${#bad[@]} of ${#files[@]} regression input(s): ${bad[*]}"
  report_failure "$t" "$work/regressions.log"
  regressions_failed+=("$t")
}

stat_of() {
  grep -m1 "stat::$1:" "$2" | awk '{print $2}' || true
}

fuzz_target() {
  local t=$1 work=$BUILD/fuzz-work/$1
  rm -rf "$work/corpus"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -r "$FUZZ/corpus/$t/." "$work/corpus/"
  local args=(-max_total_time="$seconds" "${LIBFUZZER_LIMITS[@]}" -print_final_stats=1
    -artifact_prefix="$work/artifacts/" -dict="$(dict_for "$t")")
  [ -z "$runs" ] || args+=(-runs="$runs")
  local rc=0 TIMEFORMAT='%U %S'
  { time "$BUILD/bin/$t" "${args[@]}" "$work/corpus" >"$work/fuzz.log" 2>&1; } 2>"$work/time" ||
    rc=$?
  local execs eps cpu
  execs=$(stat_of number_of_executed_units "$work/fuzz.log")
  eps=$(stat_of average_exec_per_sec "$work/fuzz.log")
  cpu=$(awk '{printf "%.1f", $1 + $2}' "$work/time")
  local result=ok
  [ $rc -eq 0 ] || result=FAIL
  [[ " ${regressions_failed[*]} " != *" $t "* ]] || result="$result+regr"
  summary+=("$(printf '%-26s %-9s %12s %9s %8s' "$t" "$result" "${execs:--}" "${eps:--}" "$cpu")")
  echo "   fuzzed ${seconds}s: ${execs:-?} executions, ${eps:-?} exec/s, ${cpu} CPU s (log: $work/fuzz.log)"
  [ $rc -eq 0 ] || report_failure "$t" "$work/fuzz.log" "$work/started"
  if [ $merge -eq 1 ] && [ $rc -eq 0 ]; then
    "$BUILD/bin/$t" -merge=1 "${LIBFUZZER_LIMITS[@]}" "$FUZZ/corpus/$t" "$work/corpus" \
      >"$work/merge.log" 2>&1 && echo "   merged into fuzz/corpus/$t"
  fi
}

main() {
  parse_args "$@"
  command -v "$CXX_FUZZ" >/dev/null || { echo "$CXX_FUZZ not found (apt-get install clang-14)" >&2; exit 1; }
  configure_and_build
  for t in "${targets[@]}"; do
    echo "== $t"
    mkdir -p "$BUILD/fuzz-work/$t"
    touch "$BUILD/fuzz-work/$t/started"
    replay_regressions "$t"
    [ $replay_only -eq 1 ] || fuzz_target "$t"
  done
  if [ ${#summary[@]} -gt 0 ]; then
    echo
    printf '%-26s %-9s %12s %9s %8s\n' target result executions exec/s cpu_s
    printf '%s\n' "${summary[@]}"
  fi
  if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]} (+regr: an input in fuzz/regressions/ still fails)"
    exit 1
  fi
}

main "$@"
