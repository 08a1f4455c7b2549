#!/usr/bin/env python3
"""test/tlsfuzzer.py: tlsfuzzer's conformance scripts against a luatls server.

    TLSFUZZER_DIR=/path/to/tlsfuzzer TLSLITE_DIR=/path/to/tlslite-ng \\
        python3 test/tlsfuzzer.py [--set quick|full] [-j N] [--server luatls|openssl]
                                  [--only SCRIPT ...] [--logs DIR] [--luatls build/luatls]

Nothing is downloaded or built here: the runner uses the copies the two
environment variables name (a git checkout of each is enough, no install):

    git clone https://github.com/tlsfuzzer/tlsfuzzer
    git clone https://github.com/tlsfuzzer/tlslite-ng

tlslite-ng needs python3-ecdsa (Debian: apt-get install python3-ecdsa). The
runner uses $TLSFUZZER_PYTHON, else the first of /usr/bin/python3 and
python3 on PATH that can import ecdsa.

The scripts and their arguments are in test/tlsfuzzer.json (the idea of
tlsfuzzer's own tests/tlslite-ng.json): each entry names a script, its
arguments, the sets it belongs to ("quick" is a subset that runs in about a
minute, "full" is everything, every probe: -n 0), the certificate the server
needs ("rsa", the default, or "ec": a second server with the ECDSA
certificate), and "known": the probes that fail against `openssl s_server`
with the same options in the same way. They are matched after the run, not
passed to the script: a failed probe is known when its name fullmatches the
entry's "probe" pattern and its output contains the entry's "error" text; it
is counted in the KNOWN column instead of FAIL. A known entry that did not
happen is printed as a note, so the list stays true.

The server under test is test/scan-server.lua (luatls's default options; it
answers anything with a small HTTP response and ends, like s_server -www).
--server openssl runs the same set against `openssl s_server -www` with the
options that match luatls's defaults (its cipher list, no DHE, no session
cache, client renegotiation allowed): that is the comparison the README's
list of OpenSSL's own failures comes from.

The server is measured from outside: its descriptors (/proc/PID/fd) and
VmRSS before and after the run; with gdb, malloc's bytes in use and the RSS
after malloc_trim(0) too. Prints one row per script, then the totals and the
checks; exits 0 when every script passed (its known failures apart), the server lived
through the run, its descriptors came back to the baseline, and its memory
did (malloc's bytes in use within 1 MiB of the baseline when gdb can read
them; else RSS within 8 MiB).
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "test", "tlsfuzzer.json")
MiB = 1024 * 1024

# what luatls offers by default (lua/luatls/internal/tls/settings.lua: DEFAULT_CIPHERS)
LUATLS_CIPHERS = ":".join([
    "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384",
    "DHE-RSA-AES128-GCM-SHA256", "HIGH", "!aNULL", "!eNULL", "!EXPORT",
    "!DES", "!RC4", "!MD5", "!PSK", "!SRP", "!CAMELLIA", "!SHA1", "!SHA256",
    "!SHA384"])
# Node's default list (the "cbc" server): the same without the exclusions
# of CBC suites
NODE_CIPHERS = LUATLS_CIPHERS.replace(":!SHA1:!SHA256:!SHA384", "")


def die(msg, status=2):
    print(msg, file=sys.stderr)
    sys.exit(status)


def find_python():
    cands = [os.environ.get("TLSFUZZER_PYTHON"), "/usr/bin/python3",
             shutil.which("python3")]
    for p in cands:
        if p and os.path.exists(p) and subprocess.call(
                [p, "-c", "import ecdsa"], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL) == 0:
            return p
    die("no python3 with the ecdsa module (apt-get install python3-ecdsa, "
        "or set TLSFUZZER_PYTHON)")


def fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def rss(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"VmRSS:\s*(\d+)", f.read())
        return int(m.group(1)) * 1024 if m else None
    except OSError:
        return None


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return not re.match(r"^\d+ \(.*\) Z", f.read())
    except OSError:
        return False


MODES = ("rsa", "ec", "cbc", "echo")


class Server:
    """One server process on 127.0.0.1:port; its stderr goes to a file.
    mode: rsa (the default server), ec (the ECDSA certificate), cbc (Node's
    cipher list: luatls's with the CBC suites it leaves out), echo (echoes
    instead of answering HTTP). See test/scan-server.lua."""

    def __init__(self, kind, luatls, certs, port, mode):
        self.kind, self.port, self.mode = kind, port, mode
        self.errpath = tempfile.mktemp(prefix="tlsfuzzer-srv-")
        self.err = open(self.errpath, "w+")
        if kind == "luatls":
            cmd = [luatls, os.path.join(ROOT, "test", "scan-server.lua"),
                   certs, str(port)] + ([] if mode == "rsa" else [mode])
        else:
            pre = "server-ec-" if mode == "ec" else "server-"
            cmd = ["openssl", "s_server", "-quiet",
                   "-rev" if mode == "echo" else "-www",
                   "-accept", "127.0.0.1:%d" % port,
                   "-cert", os.path.join(certs, pre + "cert.pem"),
                   "-key", os.path.join(certs, pre + "key.pem"),
                   "-cert_chain", os.path.join(certs, "intermediate-cert.pem"),
                   "-cipher", NODE_CIPHERS if mode == "cbc" else LUATLS_CIPHERS,
                   "-no_dhe", "-no_cache", "-client_renegotiation",
                   "-min_protocol", "TLSv1.2"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.err, cwd=ROOT)
        self.pid = self.proc.pid
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        die("the %s server (%s) did not start on port %d:\n%s" %
            (kind, mode, port, self.stderr()))

    def stderr(self):
        self.err.flush()
        with open(self.errpath) as f:
            return f.read()

    def measure(self):
        """{fds, rss[, inuse, trimmed]}: after a full collection (SIGUSR2),
        and with gdb malloc's bytes in use and the RSS after malloc_trim."""
        if self.kind == "luatls" and alive(self.pid):
            os.kill(self.pid, signal.SIGUSR2)
            time.sleep(0.5)
        m = {"fds": fds(self.pid), "rss": rss(self.pid)}
        if self.kind != "luatls" or not shutil.which("gdb"):
            return m
        before = len(self.stderr())
        r = subprocess.call(
            ["timeout", "30", "gdb", "-p", str(self.pid), "-batch",
             "-ex", "call (void)malloc_stats()",
             "-ex", "call (int)malloc_trim(0)"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r != 0:
            return m
        pat = (r"Total \(incl\. mmap\):\s*system bytes\s*=\s*\d+\s*"
               r"in use bytes\s*=\s*(\d+)")
        for _ in range(50):
            found = re.search(pat, self.stderr()[before:])
            if found:
                m["inuse"], m["trimmed"] = int(found.group(1)), rss(self.pid)
                break
            time.sleep(0.1)
        return m

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        try:
            os.unlink(self.errpath)
        except OSError:
            pass


def show(m):
    s = "%d fds, RSS %.1f MiB" % (m["fds"], m["rss"] / MiB)
    if "inuse" in m:
        s += ", malloc in use %.2f MiB, RSS after malloc_trim %.1f MiB" % (
            m["inuse"] / MiB, m["trimmed"] / MiB)
    return s


SUMMARY = re.compile(r"^(TOTAL|SKIP|PASS|XFAIL|FAIL|XPASS): (\d+)", re.M)


# a probe starts with "name ..." (or '"name" repeat N...' in the scripts
# that run each probe several times)
PROBE_START = re.compile(r'^(?:"(.+)" repeat \d+|(.+) )\.\.\.$', re.M)


def probe_blocks(out):
    """{probe name: what the script printed while running it}"""
    marks = list(PROBE_START.finditer(out))
    blocks = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(out)
        name = m.group(1) or m.group(2)
        blocks[name] = blocks.get(name, "") + out[m.end():end]
    return blocks


def known_match(entry, name, block):
    """the entry's known OpenSSL failure that this failed probe is, or None:
    its name matches the pattern and its error contains the text"""
    for k in entry.get("known", []):
        if re.fullmatch(k["probe"], name) and k.get("error", "") in block:
            return k
    return None


def run_script(py, tdir, ldir, entry, port, timeout, logs):
    name = entry["script"]
    args = ["-h", "127.0.0.1", "-p", str(port)] + list(entry.get("args", []))
    if entry.get("all", True):
        args += ["-n", "0"]
    env = dict(os.environ)
    env["PYTHONPATH"] = tdir + os.pathsep + ldir
    t0 = time.time()
    try:
        p = subprocess.run([py, os.path.join(tdir, "scripts", name)] + args,
                           cwd=tdir, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out, rc = p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace") + \
            "\n[runner] timed out after %d s\n" % timeout
        rc = "timeout"
    res = {k: 0 for k in ("TOTAL", "SKIP", "PASS", "XFAIL", "FAIL", "XPASS")}
    for k, v in SUMMARY.findall(out):
        res[k] = int(v)
    failed = []
    m = re.search(r"^FAILED:\n((?:\t.*\n?)*)", out, re.M)
    if m:
        failed = [ln.strip()[1:-1] for ln in m.group(1).splitlines()]
    # the failures that are OpenSSL's own (test/tlsfuzzer.json: "known")
    blocks = probe_blocks(out)
    unknown, used = [], set()
    for f in failed:
        k = known_match(entry, f, blocks.get(f, ""))
        if k is None:
            unknown.append(f)
        else:
            used.add(k["probe"])
    nknown = len(failed) - len(unknown)
    res["FAIL"] -= nknown
    res["KNOWN"] = nknown
    stale = [k["probe"] for k in entry.get("known", [])
             if k["probe"] not in used]
    res.update(script=name, label=entry.get("label", name), rc=rc,
               time=time.time() - t0, failed=unknown, stale=stale,
               ok=rc in (0, 1) and res["TOTAL"] > 0 and res["FAIL"] == 0 and
               res["XPASS"] == 0 and (rc == 0 or nknown > 0))
    if logs:
        fn = re.sub(r"[^A-Za-z0-9_.-]", "_", res["label"]) + ".log"
        with open(os.path.join(logs, fn), "w") as f:
            f.write(" ".join([name] + args) + "\n\n" + out)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", default="quick", choices=["quick", "full"])
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--server", default="luatls", choices=["luatls", "openssl"])
    ap.add_argument("--luatls", default=os.path.join(ROOT, "build", "luatls"))
    ap.add_argument("--certs", default=os.path.join(ROOT, "build", "test-certs"))
    ap.add_argument("--port", type=int, default=19440)
    ap.add_argument("--only", nargs="*", help="scripts (or labels) to run")
    ap.add_argument("--logs", help="keep each script's output in this directory")
    ap.add_argument("--timeout", type=int, default=3600, help="per script, s")
    ap.add_argument("--config", default=CONFIG)
    o = ap.parse_args()

    tdir, ldir = os.environ.get("TLSFUZZER_DIR"), os.environ.get("TLSLITE_DIR")
    if not tdir or not os.path.isdir(os.path.join(tdir, "scripts")):
        die("set TLSFUZZER_DIR to a checkout of "
            "https://github.com/tlsfuzzer/tlsfuzzer")
    if not ldir or not os.path.isdir(os.path.join(ldir, "tlslite")):
        die("set TLSLITE_DIR to a checkout of "
            "https://github.com/tlsfuzzer/tlslite-ng")
    tdir, ldir = os.path.abspath(tdir), os.path.abspath(ldir)
    py = find_python()
    if o.server == "luatls" and not os.access(o.luatls, os.X_OK):
        die("no %s: build first (cmake -S . -B build && cmake --build build)"
            % o.luatls)
    subprocess.check_call(["bash", os.path.join(ROOT, "scripts", "make-certs"),
                           o.certs], stdout=subprocess.DEVNULL)
    with open(o.config) as f:
        entries = [e for e in json.load(f)["scripts"]
                   if o.set in e.get("sets", ["full"])]
    if o.only:
        entries = [e for e in entries
                   if e["script"] in o.only or e.get("label") in o.only]
    if not entries:
        die("no script selected")
    if o.logs:
        os.makedirs(o.logs, exist_ok=True)

    modes = [m for m in MODES if any(e.get("server", "rsa") == m
                                     for e in entries)]
    servers = {m: Server(o.server, o.luatls, o.certs, o.port + i, m)
               for i, m in enumerate(modes)}
    print("tlsfuzzer %s against %s, set %s, %d scripts, -j %d" %
          (tdir, o.server, o.set, len(entries), o.jobs))
    # a first pass over the quick set's scripts, so that the baseline holds
    # what the servers keep once (OpenSSL's tables, the loop's buffers)
    warm = [e for e in entries if "quick" in e.get("sets", [])] or entries[:3]
    with concurrent.futures.ThreadPoolExecutor(max_workers=o.jobs) as ex:
        list(ex.map(lambda e: run_script(
            py, tdir, ldir, e, servers[e.get("server", "rsa")].port,
            o.timeout, None), warm))
    time.sleep(3)
    base = {m: srv.measure() for m, srv in servers.items()}
    for m, srv in servers.items():
        print("server %-4s (pid %d) before: %s" % (m, srv.pid, show(base[m])))
    sys.stdout.flush()

    lock = threading.Lock()
    results = []
    t0 = time.time()

    def one(entry):
        srv = servers[entry.get("server", "rsa")]
        r = run_script(py, tdir, ldir, entry, srv.port, o.timeout, o.logs)
        r["server_alive"] = all(alive(s.pid) for s in servers.values())
        with lock:
            results.append(r)
            print("  %-62s %5d %6d %5d %6d  %s" % (
                r["label"][:62], r["TOTAL"], r["PASS"], r["FAIL"], r["KNOWN"],
                "ok" if r["ok"] else "FAIL (rc %s)" % r["rc"]))
            sys.stdout.flush()
        return r

    print("  %-62s %5s %6s %5s %6s" % ("script", "total", "pass", "fail",
                                        "known"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=o.jobs) as ex:
        list(ex.map(one, entries))
    elapsed = time.time() - t0

    # let closing connections finish (a connection that sent a fatal alert
    # waits up to 2 s for its peer to close)
    time.sleep(3)
    lived = {m: alive(srv.pid) and all(r["server_alive"] for r in results)
             for m, srv in servers.items()}
    after = {m: srv.measure() for m, srv in servers.items() if lived[m]}
    for srv in servers.values():
        srv.stop()

    order = {e.get("label", e["script"]): i for i, e in enumerate(entries)}
    results.sort(key=lambda r: order.get(r["label"], 0))
    print("\n%-64s %5s %6s %5s %6s %5s %7s  %s" % (
        "script", "total", "pass", "fail", "known", "skip", "time", "result"))
    tot = {k: 0 for k in ("TOTAL", "PASS", "FAIL", "KNOWN", "XPASS", "SKIP")}
    for r in results:
        for k in tot:
            tot[k] += r[k]
        print("%-64s %5d %6d %5d %6d %5d %6.0fs  %s" % (
            r["label"][:64], r["TOTAL"], r["PASS"], r["FAIL"], r["KNOWN"],
            r["SKIP"], r["time"], "pass" if r["ok"] else
            "FAIL" + ("" if r["rc"] in (0, 1) else " (%s)" % r["rc"])))
        uniq = sorted(set(r["failed"]))
        for p in uniq[:8]:  # (the known ones are not listed)
            print("      failed: %s" % p)
        if len(uniq) > 8:
            print("      ... and %d more" % (len(uniq) - 8))
    bad = [r for r in results if not r["ok"]]
    print("%-64s %5d %6d %5d %6d %5d %6.0fs" % (
        "TOTAL (%d scripts, %d failed)" % (len(results), len(bad)),
        tot["TOTAL"], tot["PASS"], tot["FAIL"], tot["KNOWN"], tot["SKIP"],
        elapsed))
    for r in results:
        for k in r["stale"]:
            print("note: %s: the known failure %r did not happen" %
                  (r["label"], k))

    checks = []
    checks.append(("every script passed (known OpenSSL failures apart)",
                   not bad))
    for m in servers:
        checks.append(("the %s server lived through the run" % m, lived[m]))
        if not lived[m]:
            continue
        b, a = base[m], after[m]
        print("server %-4s after:  %s" % (m, show(a)))
        checks.append(("%s server: descriptors back to the baseline "
                       "(%d -> %d)" % (m, b["fds"], a["fds"]),
                       a["fds"] == b["fds"]))
        if o.server != "luatls":
            continue
        if "inuse" in b and "inuse" in a:
            d = a["inuse"] - b["inuse"]
            checks.append(("%s server: malloc in use within 1 MiB of the "
                           "baseline (%+.2f MiB)" % (m, d / MiB), d < MiB))
        else:
            d = a["rss"] - b["rss"]
            checks.append(("%s server: RSS within 8 MiB of the baseline "
                           "(%+.1f MiB)" % (m, d / MiB), d < 8 * MiB))
    for what, ok in checks:
        print("%s %s" % ("PASS" if ok else "FAIL", what))
    nbad = sum(1 for _, ok in checks if not ok)
    print("%d checks, %d failed" % (len(checks), nbad))
    sys.exit(1 if nbad else 0)


if __name__ == "__main__":
    main()
