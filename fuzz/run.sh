#!/usr/bin/env bash
# Builds and runs the libFuzzer harnesses (clang, ASan + UBSan) through the
# CMake targets of LUATLS_FUZZ=ON (CMakeLists.txt holds the one recipe):
#   bash fuzz/run.sh x509 [seconds=60]
#   bash fuzz/run.sh pump [seconds=60]
#   bash fuzz/run.sh hello [seconds=60]
#   bash fuzz/run.sh all  [seconds=60]      all of them, as `--target fuzz`
# The seed corpus is fuzz/corpus/<name>/ (kept in the repo); what the fuzzer
# finds new goes to build-fuzz/corpus-<name>/, crashes to build-fuzz/crashes/.
# See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: fuzz/run.sh x509|pump|hello|all [seconds]}
secs=${2:-60}
target=fuzz-$name
[ "$name" = all ] && target=fuzz
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DLUATLS_FUZZ=ON \
  -DLUATLS_FUZZ_SECONDS="$secs" >/dev/null
exec cmake --build build-fuzz --target "$target"
