// The Node (and Bun) server of bench/http: Node's https hello server.
//   node bench/servers/http-node.js PORT CERTDIR [http]
// EC key (CERTDIR/server-ec-key.pem + server-ec-chain.pem); "http" for
// plain HTTP. Listens on 127.0.0.1:PORT, then prints "listening PORT".
// bench/servers/http-luatls.lua is the same server for luatls: keep them alike.
'use strict';
const https = require('https');
const http = require('http');
const fs = require('fs');

const [portArg, dir, plain] = process.argv.slice(2);
const port = Number(portArg);
function hello(req, res) {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('hello world\n');
}
const server = plain === 'http' ? http.createServer(hello) : https.createServer({
  key: fs.readFileSync(dir + '/server-ec-key.pem'),
  cert: fs.readFileSync(dir + '/server-ec-chain.pem'),
}, hello);
server.listen(port, '127.0.0.1', () => console.log('listening ' + port));
