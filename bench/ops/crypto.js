// bench/ops/crypto.js: the operations of crypto.lua in Node, timed by CPU
// time (process.cpuUsage), for bench/crypto.
//
//   node bench/ops/crypto.js SECONDS [OP...]
'use strict';
const crypto = require('crypto');

const seconds = Number(process.argv[2]) || 1;
const KiB = 1024, MiB = 1024 * 1024;
const d16 = Buffer.alloc(16, 'a'), d32 = Buffer.alloc(32, 'b');
const d16k = Buffer.alloc(16 * KiB, 'c'), d1m = Buffer.alloc(MiB, 'd');
const key16 = Buffer.alloc(16, 'k'), iv12 = Buffer.alloc(12, 'i');
const ed = crypto.generateKeyPairSync('ed25519').privateKey;
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

function gcm(data) {
  const c = crypto.createCipheriv('aes-128-gcm', key16, iv12);
  c.update(data);
  c.final();
  return c.getAuthTag();
}

const OPS = [
  ['sha256-16', () => crypto.createHash('sha256').update(d16).digest()],
  ['sha256-1m', () => crypto.createHash('sha256').update(d1m).digest()],
  ['hmac-sha256-16', () => crypto.createHmac('sha256', key16).update(d16).digest()],
  ['hmac-sha256-1m', () => crypto.createHmac('sha256', key16).update(d1m).digest()],
  ['aes-128-gcm-16k', () => gcm(d16k)],
  ['aes-128-gcm-1m', () => gcm(d1m)],
  ['ed25519-sign', () => crypto.sign(null, d32, ed)],
  ['ecdsa-p256-sign', () => crypto.sign('sha256', d32, ec)],
  ['rsa-2048-sign', () => crypto.sign('sha256', d32, rsa)],
  ['randomBytes-32', () => crypto.randomBytes(32)],
];

const wanted = new Set(process.argv.slice(3));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
for (const [name, fn] of OPS) {
  if (wanted.size && !wanted.has(name)) continue;
  fn();
  let n = 0, batch = 1;
  const t0 = cpu();
  let t = t0;
  while (t - t0 < seconds) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    const now = cpu();
    if (now - t < 0.01) batch *= 2; // clock reads stay rare
    t = now;
  }
  console.log(`${name} ${(n / (t - t0)).toFixed(1)}`);
}
