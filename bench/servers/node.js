// The Node server of the benchmark (bench/run starts one per figure).
//   node bench/servers/node.js PORT MODE KEY CERTDIR [store]
// MODE  echo: each connection is piped into itself; discard: read and drop.
// KEY   rsa: CERTDIR/server-key.pem + server-chain.pem (RSA-2048 leaf and the
//       intermediate); ec: server-ec-key.pem + server-ec-chain.pem (P-256).
// store an in-memory session store (the 'newSession'/'resumeSession'
//       listeners), which TLS 1.2 resumption by session ID needs: Node turns
//       OpenSSL's own server cache off.
// Listens on 127.0.0.1:PORT and then prints "listening PORT" on stdout.
// bench/servers/luatls.lua is the same server written for luatls: keep them alike.
'use strict';
const tls = require('tls');
const fs = require('fs');

const [portArg, mode, key, dir, store] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || !['echo', 'discard'].includes(mode) || !['rsa', 'ec'].includes(key) ||
    !dir || (store !== undefined && store !== 'store')) {
  console.error('usage: node bench/servers/node.js PORT echo|discard rsa|ec CERTDIR [store]');
  process.exit(2);
}

const prefix = dir + (key === 'ec' ? '/server-ec-' : '/server-');
const server = tls.createServer({
  key: fs.readFileSync(prefix + 'key.pem'),
  cert: fs.readFileSync(prefix + 'chain.pem'),
}, (socket) => {
  if (mode === 'discard') {
    socket.on('data', () => {});
  } else {
    socket.pipe(socket);
  }
  socket.on('error', () => {}); // resets after close_notify are normal here
});

if (store) {
  const sessions = new Map();
  server.on('newSession', (id, data, cb) => {
    sessions.set(id.toString('latin1'), data);
    cb();
  });
  server.on('resumeSession', (id, cb) => cb(null, sessions.get(id.toString('latin1')) || null));
}

// a few lines are enough to see what went wrong; thousands would only cost CPU
let reported = 0;
server.on('tlsClientError', (err) => {
  reported += 1;
  if (reported <= 10) console.error('tlsClientError:', err.message);
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${port}\n`);
});
