#!/usr/bin/env bash
# Builds and runs a libFuzzer harness (clang, -fsanitize=fuzzer,address,undefined).
#   bash fuzz/run.sh x509 [seconds=60]
#   bash fuzz/run.sh pump [seconds=60]
# The seed corpus is fuzz/corpus/<name>/ (kept in the repo); what the fuzzer
# finds new goes to build-fuzz/corpus-<name>/, crashes to build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: fuzz/run.sh NAME [seconds]}
secs=${2:-60}
out=build-fuzz
mkdir -p "$out/corpus-$name"
srcs=$(ls src/*.c | grep -v 'src/main.c')
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  $(pkg-config --cflags lua5.4 libuv openssl) -o "$out/$name" "fuzz/${name}_fuzz.c" $srcs \
  $(pkg-config --libs lua5.4 libuv openssl) -lm -ldl
cp -n fuzz/corpus/"$name"/* "$out/corpus-$name/" 2>/dev/null || true
ASAN_OPTIONS=detect_leaks=1 "$out/$name" -max_total_time="$secs" -print_final_stats=1 \
  -artifact_prefix="$out/" "$out/corpus-$name"
