#!/usr/bin/env bash
# test/testssl.sh: Debian's testssl.sh against a luatls server with the
# default options, offline: protocols, server defaults, vulnerabilities.
#   bash test/testssl.sh            (needs build/luatls; installs nothing)
# Prints testssl's report, then the lines that matter, and exits 1 if a
# protocol below TLS 1.2 is offered or a vulnerability check is not OK.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v testssl >/dev/null || { echo "testssl.sh is not installed (apt-get install testssl.sh)"; exit 2; }
bash scripts/make-certs build/test-certs >/dev/null
port=${PORT:-19330}
out=$(mktemp)
build/luatls test/scan-server.lua build/test-certs "$port" > "$out.srv" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out" "$out.srv"' EXIT
for _ in $(seq 50); do grep -q listening "$out.srv" && break; sleep 0.1; done
testssl --nodns none --ip 127.0.0.1 --quiet --color 0 -p -S -U --warnings batch \
  "127.0.0.1:$port" > "$out" 2>&1
cat "$out"
echo "== summary"
grep -E '^ (SSLv2|SSLv3|TLS 1(\.[0-3])?) ' "$out"
# every line of the vulnerability section that names a CVE or check
vulns=$(sed -n '/Testing vulnerabilities/,/^ Done/p' "$out" | grep -E '^ [A-Za-z]' | grep -Ev '^ (Testing vulnerabilities|Done) ')
echo "$vulns"
bad=0
grep -E '^ (SSLv2|SSLv3|TLS 1|TLS 1\.1) ' "$out" | grep -vq 'not offered' && { echo "FAIL: an old protocol is offered"; bad=1; }
echo "$vulns" | grep -v '(OK)' && { echo "FAIL: a check is not OK"; bad=1; }
[ "$bad" -eq 0 ] && echo "testssl: no protocol below TLS 1.2, every vulnerability check OK"
exit $bad
