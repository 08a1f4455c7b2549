-- luatls.internal.tls.client_hello: tls.parseClientHello (luatls's own, not
-- Node's): the ClientHello as data, parsed in C by src/tls/hello.c (the
-- table's fields are described there). The same parser builds the table a
-- server's clientHelloCallback gets (src/tls/hello_hook.c).
local errors = require("luatls.errors")
local core = require("luatls.loop").core

local M = {}

-- parseClientHello(bytes) -> hello | nil, "incomplete" | nil, err
-- bytes: what a client sent first on a plain socket (TLS records; the
-- ClientHello may span several). "incomplete": more bytes are needed (call
-- again with all the bytes so far). err: an error object with code
-- ERR_TLS_INVALID_CLIENT_HELLO (not a TLS handshake record, not a
-- ClientHello, or a malformed one), returned as Node returns a failure in
-- a value rather than throwing; only a wrong argument type raises.
function M.parseClientHello(bytes)
  if type(bytes) ~= "string" then
    errors.invalidArgType("bytes", "of type string", bytes)
  end
  return core.parse_client_hello(bytes)
end

return M
