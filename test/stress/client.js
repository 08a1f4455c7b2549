// test/stress/client.js: the stress harness's Node tls client (see
// test/stress/harness.lua for the plan's fields and the result line).
//   node client.js PORT CA SEED TOTAL WMAX CLOSE RESETAT PAUSE PAUSEMS IGNORE
'use strict';
const tls = require('tls');
const fs = require('fs');
const crypto = require('crypto');

const [port, ca, seed, total, wmax, close, resetAt, pause, pauseMs, ignore] = process.argv.slice(2)
  .map((v, i) => (i === 1 || i === 5 ? v : Number(v)));

// the plan's generator: a 31-bit LCG, the same in every client
let x = seed & 0x7fffffff;
const next = () => (x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff);
const rand = (n) => next() % n;

// the byte stream: a 64 KiB block from the seed, rotated by 257 bytes more
// for each 64 KiB of the stream (16 MiB before it repeats)
const block = Buffer.alloc(65536);
for (let i = 0; i < block.length; i++) block[i] = (next() >> 16) & 255;
const period = Buffer.alloc(Math.min(total, 256 * 65536));
for (let k = 0; k * 65536 < period.length; k++) {
  const r = (k * 257) % 65536;
  const rotated = Buffer.concat([block.subarray(r), block.subarray(0, r)]);
  rotated.copy(period, k * 65536, 0, Math.min(65536, period.length - k * 65536));
}
function slice(p, n) { // stream bytes [p, p + n)
  const parts = [];
  while (n > 0) {
    const o = p % period.length, m = Math.min(n, period.length - o);
    parts.push(period.subarray(o, o + m));
    p += m; n -= m;
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}
const writeSize = () => 1 + rand(2 ** rand(Math.log2(wmax) + 1));

const got = crypto.createHash('sha256');
let sent = 0, ngot = 0, lastMoved = Date.now(), finished = false, ended = false, sawEnd = false;
let s;
const maybeEnd = () => { // 'end-after': once all went and all came back
  if (close === 'end-after' && ngot >= total && sent >= total && !ended) { ended = true; s.end(); }
};

function result(how) {
  if (finished) return;
  finished = true;
  const expect = crypto.createHash('sha256');
  for (let p = 0; p < ngot; p += 1 << 20) expect.update(slice(p, Math.min(1 << 20, ngot - p)));
  const intact = got.digest('hex') === expect.digest('hex');
  console.log(`result sent=${sent} got=${ngot} intact=${intact} end=${how}`);
  clearInterval(watchdog);
}

// allowHalfOpen: the server may end its side first (route "first") while this
// client still sends; the client ends its own side as the plan says
s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: fs.readFileSync(ca), allowHalfOpen: true }, () => {
  const more = () => {
    while (sent < total) {
      const n = Math.min(writeSize(), total - sent);
      const ok = s.write(slice(sent, n));
      sent += n;
      lastMoved = Date.now();
      if (!ok && !ignore) return s.once('drain', more);
    }
    if (close === 'end-early') s.end();
    maybeEnd();
  };
  more();
});
s.on('data', (d) => {
  got.update(d);
  ngot += d.length;
  lastMoved = Date.now();
  if (close === 'reset' && ngot >= resetAt) {
    result('reset');
    s.destroy(); // (resetAndDestroy() takes no TLS socket in Node 20; unread echo makes it a reset)
    return;
  }
  maybeEnd();
  if (pause > 0 && rand(1000) < pause && !s.isPaused()) {
    s.pause();
    setTimeout(() => s.resume(), 1 + rand(pauseMs));
  }
});
s.on('end', () => { sawEnd = true; });
s.on('close', () => result(sawEnd ? 'end' : 'close'));
s.on('error', (e) => { if (!finished) result('error:' + (e.code || e.message)); });
// no byte moved for 5 s while this process was free to move them (a tick
// that comes late means it was busy, e.g. in one long write: that is no stall)
let lastTick = Date.now();
const watchdog = setInterval(() => {
  const t = Date.now();
  if (t - lastTick > 1000) lastMoved = t;
  lastTick = t;
  if (t - lastMoved > 5000) {
    console.log(`stall sent=${sent} got=${ngot} writableLength=${s.writableLength} paused=${s.isPaused()}`);
    process.exit(3);
  }
}, 500);
