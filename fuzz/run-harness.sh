#!/usr/bin/env bash
# run-harness.sh BUILD_DIR SECONDS NAME...: what the CMake targets fuzz,
# fuzz-x509, fuzz-pump and fuzz-hello run (LUATLS_FUZZ=ON; see fuzz/README.md). For each
# NAME, runs BUILD_DIR/NAME_fuzz for SECONDS over BUILD_DIR/corpus-NAME (the
# seed corpus fuzz/corpus/NAME copied in, plus what earlier runs found),
# crashes to BUILD_DIR/crashes/NAME-*, the whole output to
# BUILD_DIR/fuzz-NAME.log; shows libFuzzer's output without the NEW/REDUCE
# lines, then one summary line per harness. Exits 1 if a harness found
# anything (crash, sanitizer report, leak, timeout, out of memory).
# Extra libFuzzer flags: LUATLS_FUZZ_FLAGS="-flag=value ..." in the environment.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:?usage: run-harness.sh BUILD_DIR SECONDS NAME...}
secs=${2:?usage: run-harness.sh BUILD_DIR SECONDS NAME...}
shift 2
mkdir -p "$bin/crashes"
status=0
summary=()
for name in "$@"; do
  corpus=$bin/corpus-$name
  log=$bin/fuzz-$name.log
  mkdir -p "$corpus"
  cp "$src/fuzz/corpus/$name"/* "$corpus"/
  echo "== fuzz $name: $secs s over $corpus ($(ls "$corpus" | wc -l) inputs; seeds from fuzz/corpus/$name)"
  # shellcheck disable=SC2086
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    "$bin/${name}_fuzz" -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="$bin/crashes/$name-" ${LUATLS_FUZZ_FLAGS:-} "$corpus" >"$log" 2>&1 &
  pid=$!
  tail -n +1 --pid="$pid" -f "$log" | grep --line-buffered -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE) '
  wait "$pid"
  rc=$?
  # the last status line (DONE when the time ran out)
  done_line=$(grep -E '^#[0-9]+[[:space:]].* cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
  stat() { grep -E "^stat::$1:" "$log" | tail -n 1 | awk '{print $2}'; }
  field() { echo "$done_line" | grep -oE "$1: *[0-9]+[/0-9a-zA-Z]*" | awk '{print $2}'; }
  if [ $rc -eq 0 ]; then
    found="none"
  else
    status=1
    found="FOUND (exit $rc): $(grep -oE 'Test unit written to .*' "$log" | sed 's/Test unit written to //' | tr '\n' ' ')"
  fi
  summary+=("fuzz $name: $(stat number_of_executed_units) runs (limit ${secs} s), $(stat average_exec_per_sec) exec/s, cov: $(field cov) ft: $(field ft), corpus $(field corp) ($(ls "$corpus" | wc -l) files in corpus-$name), $(stat new_units_added) new; findings: $found")
done
echo
printf '%s\n' "${summary[@]}"
[ $status -eq 0 ] || echo "fuzz: see $bin/crashes/ and fuzz/README.md (reproduce: $bin/NAME_fuzz FILE)"
exit $status
