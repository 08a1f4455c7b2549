"""test/stress/client.py: the stress harness's Python clients (see
test/stress/harness.lua for the plan's fields and the result line).

  python3 client.py ssl      PORT CA SEED TOTAL WMAX CLOSE RESETAT PAUSE PAUSEMS IGNORE
  python3 client.py s_client PORT CA SEED TOTAL WMAX CLOSE RESETAT PAUSE PAUSEMS IGNORE

`ssl` speaks TLS with Python's ssl module (asyncio streams); `s_client` runs
`openssl s_client` and feeds it through its standard input and output, so the
TLS peer is OpenSSL's own client. Neither half-closes: asyncio's TLS
transport cannot send EOF alone, and s_client ends the whole connection at the
end of its input, so the harness gives them 'end-after' or 'reset'. IGNORE is
moot here: a write waits for room (drain) either way.
"""
import asyncio
import hashlib
import os
import signal
import socket
import ssl
import struct
import sys
import time

kind = sys.argv[1]
port, ca = int(sys.argv[2]), sys.argv[3]
seed, total, wmax = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
close, reset_at, pause, pause_ms = sys.argv[7], int(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10])

x = seed & 0x7FFFFFFF


def nxt():
    global x
    x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x


def rand(n):
    return nxt() % n


block = bytes((nxt() >> 16) & 255 for _ in range(65536))
period = b"".join(block[(k * 257) % 65536:] + block[:(k * 257) % 65536]
                  for k in range((min(total, 256 * 65536) + 65535) // 65536))[:min(total, 256 * 65536)]


def piece(p, n):
    out = []
    while n > 0:
        o = p % len(period)
        m = min(n, len(period) - o)
        out.append(period[o:o + m])
        p += m
        n -= m
    return b"".join(out)


def write_size():
    return 1 + rand(2 ** rand(wmax.bit_length()))


state = {"sent": 0, "got": 0, "moved": time.monotonic(), "done": False}
got_hash = hashlib.sha256()


def result(how):
    if state["done"]:
        return
    state["done"] = True
    expect = hashlib.sha256()
    for p in range(0, state["got"], 1 << 20):
        expect.update(piece(p, min(1 << 20, state["got"] - p)))
    intact = expect.hexdigest() == got_hash.hexdigest()
    print("result sent=%d got=%d intact=%s end=%s" % (state["sent"], state["got"],
                                                      "true" if intact else "false", how), flush=True)


async def watchdog():
    # no byte moved for 5 s while this process was free to move them (a tick
    # that comes late means it was busy: that is no stall)
    last = time.monotonic()
    while not state["done"]:
        await asyncio.sleep(0.5)
        t = time.monotonic()
        if t - last > 1:
            state["moved"] = t
        last = t
        if t - state["moved"] > 5:
            print("stall sent=%d got=%d" % (state["sent"], state["got"]), flush=True)
            os._exit(3)


async def writer(w):
    while state["sent"] < total:
        n = min(write_size(), total - state["sent"])
        w.write(piece(state["sent"], n))
        state["sent"] += n
        state["moved"] = time.monotonic()
        await w.drain()


async def reader(r, on_reset):
    while True:
        d = await r.read(65536)
        if not d:
            return "end"
        got_hash.update(d)
        state["got"] += len(d)
        state["moved"] = time.monotonic()
        if close == "reset" and state["got"] >= reset_at:
            on_reset()
            return "reset"
        if state["got"] >= total:
            return None  # everything came back: the caller ends
        if pause > 0 and rand(1000) < pause:
            await asyncio.sleep((1 + rand(pause_ms)) / 1000)


async def with_ssl():
    ctx = ssl.create_default_context(cafile=ca)
    r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost")
    sock = w.get_extra_info("socket")

    def on_reset():
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        w.transport.abort()

    wt = asyncio.ensure_future(writer(w))
    how = "end"
    if total > 0 or close == "reset":
        how = await reader(r, on_reset)
    if how == "reset":
        wt.cancel()
        result("reset")
        return
    await wt
    w.close()  # close_notify
    try:
        rest = await r.read()
        how = "end" if not rest else "extra"
        await w.wait_closed()
    except (ConnectionError, ssl.SSLError) as e:
        how = "error:" + type(e).__name__
    result(how)


async def with_s_client():
    p = await asyncio.create_subprocess_exec(
        "openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost",
        "-CAfile", ca, "-quiet", "-no_ign_eof", "-nocommands", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)

    def on_reset():
        p.send_signal(signal.SIGKILL)

    wt = asyncio.ensure_future(writer(p.stdin))
    how = "end"
    if total > 0 or close == "reset":
        how = await reader(p.stdout, on_reset)
    if how == "reset":
        wt.cancel()
        result("reset")
        await p.stdout.read()  # (a paused pipe would never see its end)
        await p.wait()
        return
    await wt
    p.stdin.close()  # s_client sends close_notify at the end of its input
    rest = await p.stdout.read()
    await p.wait()
    result("end" if not rest and p.returncode == 0 else "exit:%d" % p.returncode)


async def main():
    asyncio.ensure_future(watchdog())
    try:
        await (with_ssl() if kind == "ssl" else with_s_client())
    except (ConnectionError, ssl.SSLError, OSError) as e:
        result("error:" + type(e).__name__)


asyncio.run(main())
