-- spec/http_parser_spec.lua: core.http_parser (src/http/parser.c), the
-- binding of http-parser (Debian's libhttp-parser) under the http module:
-- heads as one table each, bodies, trailers, upgrades, the refusals Node
-- makes and http-parser alone would not, the limits, handler errors, reuse.
--
-- Every message of the corpus is parsed whole, byte by byte and split at
-- random points (seed LUATLS_SPEC_SEED, else a fixed one; named in the
-- failures) and must give the same events. The differential part runs Node
-- once per batch: its http server reads raw requests from a net client on
-- loopback, its http client reads raw responses from a net server, and what
-- they report (the requests, responses, or clientError's code) must be what
-- this parser gives.
local core = require("luatls.core")
local helper = require("spec.helper")
local same = require("spec.node.assert").isDeepStrictEqual

local SEED = tonumber(os.getenv("LUATLS_SPEC_SEED")) or 19
local WHY = "seed " .. SEED .. " (LUATLS_SPEC_SEED=" .. SEED .. " repeats it): "

-- ---- parsing and recording ---------------------------------------------------

-- the pieces of s cut before each position in cuts (sorted, 2..#s)
local function split(s, cuts)
  local pieces, from = {}, 1
  for _, c in ipairs(cuts) do
    pieces[#pieces + 1] = s:sub(from, c - 1)
    from = c
  end
  pieces[#pieces + 1] = s:sub(from)
  return pieces
end

local function everyByte(s)
  local cuts = {}
  for i = 2, #s do cuts[#cuts + 1] = i end
  return cuts
end

local function randomCuts(s)
  if #s < 2 then return {} end
  local set, cuts = {}, {}
  for _ = 1, math.random(1, math.min(12, #s - 1)) do set[math.random(2, #s)] = true end
  for c in pairs(set) do cuts[#cuts + 1] = c end
  table.sort(cuts)
  return cuts
end

-- parse(kind, data[, o]) -> events, parser: the events of data fed in the
-- pieces o.cuts makes (whole when none), then finish() unless o.finish is
-- false. Events: { "headers", head }, { "body", s } (consecutive pieces
-- joined), { "complete", trailers }, { "error", code }, { "upgraded", rest },
-- { "eof" }. o.skip(head) is the headers handler's answer; o.opts the
-- parser's options.
local function parse(kind, data, o)
  o = o or {}
  local events, owner = {}, {}
  local function add(e) events[#events + 1] = e end
  local p = core.http_parser(kind, {
    headers = function(who, head)
      assert(who == owner, "the owner comes first")
      add({ "headers", head })
      if o.skip then return o.skip(head) end
    end,
    body = function(who, chunk)
      assert(who == owner, "the owner comes first")
      assert(#chunk > 0, "no empty body pieces")
      local last = events[#events]
      if last and last[1] == "body" then last[2] = last[2] .. chunk else add({ "body", chunk }) end
    end,
    complete = function(who, trailers)
      assert(who == owner, "the owner comes first")
      add({ "complete", trailers })
    end,
  }, owner, o.opts)
  local pieces = split(data, o.cuts or {})
  for i, piece in ipairs(pieces) do
    local n, err = p:execute(piece)
    if not n then
      add({ "error", err.code })
      return events, p, err
    end
    if p:upgraded() then
      add({ "upgraded", piece:sub(n + 1) .. table.concat(pieces, "", i + 1) })
      return events, p
    end
    assert(n == #piece, "execute took " .. n .. " of " .. #piece .. " bytes")
  end
  if o.finish ~= false then
    local ok, err = p:finish()
    add(ok and { "eof" } or { "error", err.code })
  end
  return events, p
end

-- what a request-side skip does for a response to HEAD and to CONNECT
local function skipFor(method)
  return function(head)
    if method == "HEAD" then return true end
    if method == "CONNECT" and head.statusCode and head.statusCode // 100 == 2 then return 2 end
  end
end

local function heads(events)
  local t = {}
  for _, e in ipairs(events) do
    if e[1] == "headers" then t[#t + 1] = e[2] end
  end
  return t
end

local function find(events, kind)
  for _, e in ipairs(events) do
    if e[1] == kind then return e end
  end
end

local CRLF = "\r\n"
local function msg(lines, body) return table.concat(lines, CRLF) .. CRLF .. CRLF .. (body or "") end

-- ---- the corpus: well-formed messages -------------------------------------------

local REQUESTS = {
  msg({ "GET /a/b?c=d HTTP/1.1", "Host: example.com", "User-Agent: t", "Accept: */*" }),
  msg({ "POST /form HTTP/1.1", "Host: h", "Content-Length: 11", "Content-Type: text/plain" }, "hello world"),
  msg({ "PUT /up HTTP/1.1", "Host: h", "Transfer-Encoding: chunked" },
    "5;ext=1;q=\"a b\"\r\nhello\r\n1A\r\n" .. string.rep("z", 26) .. "\r\n0\r\nX-Sum: 1\r\nX-Sum: 2\r\n\r\n"),
  msg({ "GET /1 HTTP/1.1", "Host: h" }) .. msg({ "POST /2 HTTP/1.1", "Host: h", "Content-Length: 3" }, "abc")
    .. msg({ "DELETE /3 HTTP/1.1", "Host: h", "Connection: close" }),
  msg({ "GET / HTTP/1.0", "Host: h", "Connection: keep-alive" }) .. msg({ "GET /again HTTP/1.0", "Host: h" }),
  msg({ "OPTIONS * HTTP/1.1", "Host: h" }) .. msg({ "M-SEARCH * HTTP/1.1", "Host: h" }),
  msg({ "GET http://example.com:8080/x?y#z HTTP/1.1", "Host: example.com:8080" }),
  "\r\n\r\n" .. msg({ "GET /after-crlf HTTP/1.1", "Host: h" }),
  msg({ "GET / HTTP/1.1", "Host: h", "X-Spaces: \t a b \t ", "X-Empty:", "X-Empty2: ", "X-Latin: caf\xe9 \x80\xff" }),
  msg({ "GET /chat HTTP/1.1", "Host: h", "Upgrade: websocket", "Connection: keep-alive, Upgrade" }, "\x81\x05hello"),
  msg({ "CONNECT example.com:443 HTTP/1.1", "Host: example.com:443" }, "\x16\x03\x01 tls bytes"),
  msg({ "POST /u HTTP/1.1", "Host: h", "Upgrade: h2c", "Connection: Upgrade", "Content-Length: 3" }, "abcNEXT"),
  msg({ "PATCH /p HTTP/1.1", "Host: h", "Transfer-Encoding: gzip, chunked" }, "000A\r\n0123456789\r\n0\r\n\r\n"),
  msg({ "GET / HTTP/1.1", "Host: a", "host: b", "Set-Cookie: a=1", "set-cookie: b=2", "Cookie: c=3", "cookie: d=4",
    "Accept: x", "ACCEPT: y", "Content-Type: t1", "content-type: t2", "X-Forwarded-For: 1.1.1.1",
    "X-Forwarded-For: 2.2.2.2" }),
  msg({ "GET /close HTTP/1.1", "Host: h", "Connection: close, upgrade", "Upgrade: x" }, "rest"),
  "GET /nine\r\nHost: h\r\n\r\n", -- HTTP/0.9: no version
}

local RESPONSES = {
  { method = "GET", data = msg({ "HTTP/1.1 200 OK", "Content-Length: 5", "Set-Cookie: a", "Set-Cookie: b" }, "hello") },
  { method = "GET", data = msg({ "HTTP/1.1 200 OK", "Transfer-Encoding: chunked" },
    "3\r\nabc\r\n0\r\nX-Trailer: yes\r\nx-trailer: again\r\n\r\n") },
  { method = "GET", data = msg({ "HTTP/1.1 100 Continue" }) .. msg({ "HTTP/1.1 102 Processing", "X: 1" })
    .. msg({ "HTTP/1.1 201 Created", "Content-Length: 2" }, "ok") },
  { method = "GET", data = msg({ "HTTP/1.1 200 OK", "Connection: close" }, "to the end") },
  { method = "GET", data = msg({ "HTTP/1.0 200 OK" }, "ten to end") },
  { method = "HEAD", data = msg({ "HTTP/1.1 200 OK", "Content-Length: 1234" }) },
  { method = "GET", data = msg({ "HTTP/1.1 204 No Content", "Content-Length: 3" }) },
  { method = "GET", data = msg({ "HTTP/1.1 304 Not Modified", "ETag: x" }) },
  { method = "GET", data = msg({ "HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade" },
    "\x81\x02hi") },
  { method = "CONNECT", data = msg({ "HTTP/1.1 200 Connection established" }, "tunnel bytes") },
  { method = "GET", data = msg({ "HTTP/1.1 404 Not Found", "Content-Length: 0" })
    .. msg({ "HTTP/1.1 200", "Content-Length: 1" }, "x") },
  { method = "GET", data = msg({ "HTTP/1.1 599 caf\xe9 \tstatus", "Content-Length: 0" }) },
  { method = "GET", data = msg({ "HTTP/1.1 000 Zero", "Content-Length: 0" }) },
}

-- ---- the malformed ones and Node's code for each ----------------------------------

local CHUNKED = { "POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked" }
local MALFORMED = {
  { "obs-fold", msg({ "GET / HTTP/1.1", "Host: h", "X: a", " b" }), "HPE_INVALID_HEADER_TOKEN" },
  { "obs-fold with a tab", msg({ "GET / HTTP/1.1", "Host: h", "X: a", "\tb" }), "HPE_INVALID_HEADER_TOKEN" },
  { "whitespace after the start line", msg({ "GET / HTTP/1.1", " Host: h" }), "HPE_UNEXPECTED_SPACE" },
  { "obs-fold in the trailers", msg(CHUNKED, "1\r\na\r\n0\r\nT: a\r\n b\r\n\r\n"), "HPE_INVALID_HEADER_TOKEN" },
  { "whitespace opening the trailers", msg(CHUNKED, "1\r\na\r\n0\r\n T: a\r\n\r\n"), "HPE_INVALID_HEADER_TOKEN" },
  { "whitespace before the colon", msg({ "GET / HTTP/1.1", "Host : h" }), "HPE_INVALID_HEADER_TOKEN" },
  { "whitespace in a name", msg({ "GET / HTTP/1.1", "Host: h", "X Y: v" }), "HPE_INVALID_HEADER_TOKEN" },
  { "a separator in a name", msg({ "GET / HTTP/1.1", "Host: h", "X(Y): v" }), "HPE_INVALID_HEADER_TOKEN" },
  { "a control byte in a value", msg({ "GET / HTTP/1.1", "Host: h", "X: a\1b" }), "HPE_INVALID_HEADER_TOKEN" },
  { "DEL in a value", msg({ "GET / HTTP/1.1", "Host: h", "X: a\127b" }), "HPE_INVALID_HEADER_TOKEN" },
  { "NUL in a value", msg({ "GET / HTTP/1.1", "Host: h", "X: a\0b" }), "HPE_INVALID_HEADER_TOKEN" },
  { "a tab in the url", msg({ "GET /a\tb HTTP/1.1", "Host: h" }), "HPE_INVALID_URL" },
  { "a high byte in the url", msg({ "GET /caf\xe9 HTTP/1.1", "Host: h" }), "HPE_INVALID_URL" },
  { "Content-Length then Transfer-Encoding",
    msg({ "POST / HTTP/1.1", "Host: h", "Content-Length: 3", "Transfer-Encoding: chunked" }, "0\r\n\r\n"),
    "HPE_INVALID_TRANSFER_ENCODING" },
  { "Transfer-Encoding then Content-Length",
    msg({ "POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked", "Content-Length: 3" }, "0\r\n\r\n"),
    "HPE_INVALID_CONTENT_LENGTH" },
  { "Transfer-Encoding identity with Content-Length",
    msg({ "POST / HTTP/1.1", "Host: h", "Transfer-Encoding: identity", "Content-Length: 1" }, "a"),
    "HPE_INVALID_CONTENT_LENGTH" },
  { "two different Content-Lengths",
    msg({ "POST / HTTP/1.1", "Host: h", "Content-Length: 3", "Content-Length: 4" }, "abcd"),
    "HPE_UNEXPECTED_CONTENT_LENGTH" },
  { "two equal Content-Lengths",
    msg({ "POST / HTTP/1.1", "Host: h", "Content-Length: 3", "Content-Length: 3" }, "abc"),
    "HPE_UNEXPECTED_CONTENT_LENGTH" },
  { "a list in Content-Length", msg({ "POST / HTTP/1.1", "Host: h", "Content-Length: 3, 3" }, "abc"),
    "HPE_INVALID_CONTENT_LENGTH" },
  { "a negative Content-Length", msg({ "POST / HTTP/1.1", "Host: h", "Content-Length: -1" }),
    "HPE_INVALID_CONTENT_LENGTH" },
  { "an empty Content-Length", msg({ "POST / HTTP/1.1", "Host: h", "Content-Length: " }),
    "HPE_INVALID_CONTENT_LENGTH" },
  { "a Content-Length over 64 bits", msg({ "POST / HTTP/1.1", "Host: h", "Content-Length: 99999999999999999999" }),
    "HPE_INVALID_CONTENT_LENGTH" },
  { "a request coded gzip last", msg({ "POST / HTTP/1.1", "Host: h", "Transfer-Encoding: gzip" }, "abc"),
    "HPE_INVALID_TRANSFER_ENCODING" },
  { "a request coded chunked, gzip",
    msg({ "POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked, gzip" }, "abc"),
    "HPE_INVALID_TRANSFER_ENCODING" },
  { "chunked twice in two headers",
    msg({ "POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked" }, "0\r\n\r\n"),
    "HPE_INVALID_TRANSFER_ENCODING" },
  { "a coding after chunked in another header",
    msg({ "POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip" }, "0\r\n\r\n"),
    "HPE_INVALID_TRANSFER_ENCODING" },
  { "a chunk size that is not hex", msg(CHUNKED, "zz\r\nabc\r\n0\r\n\r\n"), "HPE_INVALID_CHUNK_SIZE" },
  { "a space after the chunk size", msg(CHUNKED, "3 \r\nabc\r\n0\r\n\r\n"), "HPE_INVALID_CHUNK_SIZE" },
  { "words after the chunk size", msg(CHUNKED, "3 x\r\nabc\r\n0\r\n\r\n"), "HPE_INVALID_CHUNK_SIZE" },
  { "a space before the extensions", msg(CHUNKED, "3 ;a=b\r\nabc\r\n0\r\n\r\n"), "HPE_INVALID_CHUNK_SIZE" },
  { "a chunk size over 64 bits", msg(CHUNKED, "fffffffffffffffff\r\nabc\r\n0\r\n\r\n"), "HPE_INVALID_CHUNK_SIZE" },
  { "an empty chunk extension", msg(CHUNKED, "3;\r\nabc\r\n0\r\n\r\n"), "HPE_STRICT" },
  { "a control byte in a chunk extension", msg(CHUNKED, "3;a\1\r\nabc\r\n0\r\n\r\n"), "HPE_STRICT" },
  { "chunk data too long", msg(CHUNKED, "3\r\nabcX\r\n0\r\n\r\n"), "HPE_STRICT" },
  { "chunk data ended by CR CR", msg(CHUNKED, "3\r\nabc\r\r\n0\r\n\r\n"), "HPE_STRICT" },
  { "chunk data ended by a bare LF", msg(CHUNKED, "3\r\nabc\n0\r\n\r\n"), "HPE_CR_EXPECTED" },
  { "a chunk size ended by a bare LF", msg(CHUNKED, "3\nabc\r\n0\r\n\r\n"), "HPE_CR_EXPECTED" },
  { "Transfer-Encoding in the trailers", msg(CHUNKED, "1\r\na\r\n0\r\nTransfer-Encoding: gzip\r\n\r\n"),
    "HPE_INVALID_TRANSFER_ENCODING" },
  { "Content-Length in the trailers", msg(CHUNKED, "1\r\na\r\n0\r\nContent-Length: 5\r\n\r\n"),
    "HPE_INVALID_CONTENT_LENGTH" },
  { "a bare LF after the version", "GET / HTTP/1.1\nHost: h\r\n\r\n", "HPE_INVALID_VERSION" },
  { "a bare LF after a header", "GET / HTTP/1.1\r\nHost: h\n\r\n", "HPE_CR_EXPECTED" },
  { "a bare LF ending the head", "GET / HTTP/1.1\r\nHost: h\r\n\n", "HPE_INVALID_HEADER_TOKEN" },
  { "a bare LF after a trailer", msg(CHUNKED, "1\r\na\r\n0\r\nT: v\n\r\n"), "HPE_CR_EXPECTED" },
  { "a bare LF ending the trailers", msg(CHUNKED, "1\r\na\r\n0\r\n\n"), "HPE_INVALID_HEADER_TOKEN" },
  { "a CR alone in a value", msg({ "GET / HTTP/1.1", "Host: h", "X: a\rb" }), "HPE_LF_EXPECTED" },
  { "HTTP/1.2", msg({ "GET / HTTP/1.2", "Host: h" }), "HPE_INVALID_VERSION" },
  { "HXXP/1.0", msg({ "GET / HXXP/1.0", "Host: h" }), "HPE_INVALID_CONSTANT" },
  { "a CR alone after the version", "GET / HTTP/1.1\rX\nHost: h\r\n\r\n", "HPE_STRICT" },
  { "a CR alone ending the head", "GET / HTTP/1.1\r\nHost: h\r\n\rX", "HPE_STRICT" },
  { "a CR alone after a header", "GET / HTTP/1.1\r\nHost: h\rX\n\r\n", "HPE_LF_EXPECTED" },
  { "DEL opening a value", msg({ "GET / HTTP/1.1", "Host: h", "X:\127v" }), "HPE_INVALID_HEADER_TOKEN" },
  { "a control byte opening a value", msg({ "GET / HTTP/1.1", "Host: h", "X:\1v" }), "HPE_INVALID_HEADER_TOKEN" },
  { "HTTP/3.0", msg({ "GET / HTTP/3.0", "Host: h" }), "HPE_INVALID_VERSION" },
  { "a space after the version", msg({ "GET / HTTP/1.1 ", "Host: h" }), "HPE_INVALID_VERSION" },
  { "an unknown method", msg({ "FOO / HTTP/1.1", "Host: h" }), "HPE_INVALID_METHOD" },
  { "a method in lower case", msg({ "get / HTTP/1.1", "Host: h" }), "HPE_INVALID_METHOD" },
  { "a space in the url", msg({ "GET /a b HTTP/1.1", "Host: h" }), "HPE_INVALID_CONSTANT" },
  { "a request after Connection: close",
    msg({ "GET / HTTP/1.1", "Host: h", "Connection: close" }) .. msg({ "GET / HTTP/1.1", "Host: h" }),
    "HPE_CLOSED_CONNECTION" },
  { "a request after an HTTP/1.0 one", msg({ "GET / HTTP/1.0", "Host: h" }) .. msg({ "GET / HTTP/1.0", "Host: h" }),
    "HPE_CLOSED_CONNECTION" },
  { "a head cut short", "GET / HTTP/1.1\r\nHost: h\r\n", "HPE_INVALID_EOF_STATE" },
  { "a body cut short", msg({ "POST / HTTP/1.1", "Host: h", "Content-Length: 5" }, "ab"), "HPE_INVALID_EOF_STATE" },
  { "the last chunk cut short", msg(CHUNKED, "3\r\nabc\r\n0\r\n"), "HPE_INVALID_EOF_STATE" },
  { "a header over 16 KiB", msg({ "GET / HTTP/1.1", "Host: h", "X: " .. string.rep("a", 16384) }),
    "HPE_HEADER_OVERFLOW" },
  -- responses
  { "a bare LF after the status line", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "HPE_CR_EXPECTED",
    kind = "response" },
  { "a status code below 100", msg({ "HTTP/1.1 99 Low", "Content-Length: 0" }), "HPE_INVALID_STATUS",
    kind = "response" },
  { "a status code over 999", msg({ "HTTP/1.1 1000 High", "Content-Length: 0" }), "HPE_INVALID_STATUS",
    kind = "response" },
  { "a status code of 4 digits", msg({ "HTTP/1.1 0200 OK", "Content-Length: 0" }), "HPE_INVALID_STATUS",
    kind = "response" },
  { "two spaces before the status code", msg({ "HTTP/1.1  200 OK", "Content-Length: 0" }), "HPE_INVALID_STATUS",
    kind = "response" },
  { "HXXP", msg({ "HXXP/1.1 200 OK", "Content-Length: 0" }), "HPE_INVALID_CONSTANT", kind = "response" },
  { "a CR alone after the status line", "HTTP/1.1 200 OK\rX\nContent-Length: 0\r\n\r\n", "HPE_STRICT",
    kind = "response" },
  { "a response with HTTP/1.2", msg({ "HTTP/1.2 200 OK", "Content-Length: 0" }), "HPE_INVALID_VERSION",
    kind = "response" },
  { "Content-Length and chunked in a response",
    msg({ "HTTP/1.1 200 OK", "Content-Length: 3", "Transfer-Encoding: chunked" }, "0\r\n\r\n"),
    "HPE_INVALID_TRANSFER_ENCODING", kind = "response" },
  { "a response after Connection: close",
    msg({ "HTTP/1.1 200 OK", "Content-Length: 1", "Connection: close" }, "a")
      .. msg({ "HTTP/1.1 200 OK", "Content-Length: 0" }), "HPE_CLOSED_CONNECTION", kind = "response",
    notClient = true }, -- (what Node's client does with bytes after a response is the socket's matter)
  { "obs-fold in a response", msg({ "HTTP/1.1 200 OK", "X: a", " b", "Content-Length: 0" }),
    "HPE_INVALID_HEADER_TOKEN", kind = "response" },
}

-- ---- the tests ---------------------------------------------------------------------

describe("core.http_parser", function()
  math.randomseed(SEED)

  it("reads a request head into one table", function()
    local events = parse("request", msg({ "GET /where?x=1 HTTP/1.1", "Host: example.com",
      "Content-Length: 4", "Connection: keep-alive" }, "body"))
    local h = events[1][2]
    assert.same({ "headers", "body", "complete", "eof" },
      { events[1][1], events[2][1], events[3][1], events[4][1] })
    assert.equal("GET", h.method)
    assert.equal("/where?x=1", h.url)
    assert.equal(1, h.versionMajor)
    assert.equal(1, h.versionMinor)
    assert.equal("1.1", h.httpVersion)
    assert.same({ "Host", "example.com", "Content-Length", "4", "Connection", "keep-alive" }, h.rawHeaders)
    assert.same({ host = "example.com", ["content-length"] = "4", connection = "keep-alive" }, h.headers)
    assert.is_true(h.shouldKeepAlive)
    assert.is_false(h.upgrade)
    assert.is_false(h.chunked)
    assert.equal(4, h.contentLength)
    assert.is_nil(h.statusCode)
    assert.equal("body", events[2][2])
    assert.is_nil(events[3][2])
  end)

  it("reads a response head into one table", function()
    local events = parse("response", msg({ "HTTP/1.0 404 Not Found", "Transfer-Encoding: chunked" },
      "0\r\n\r\n"))
    local h = events[1][2]
    assert.equal(404, h.statusCode)
    assert.equal("Not Found", h.statusMessage)
    assert.equal("1.0", h.httpVersion)
    assert.is_true(h.chunked)
    assert.is_nil(h.contentLength)
    assert.is_false(h.shouldKeepAlive)
    assert.is_nil(h.method)
    assert.is_nil(h.url)
  end)

  it("joins headers as Node's IncomingMessage does", function()
    local FIRST = { "Content-Type", "Content-Length", "User-Agent", "Referer", "Host", "Authorization",
      "Proxy-Authorization", "If-Modified-Since", "If-Unmodified-Since", "From", "Location", "Max-Forwards",
      "Retry-After", "ETag", "Last-Modified", "Server", "Age", "Expires" }
    local lines = { "HTTP/1.1 200 OK" }
    for _, name in ipairs(FIRST) do
      if name ~= "Content-Length" then
        lines[#lines + 1] = name .. ": first"
        lines[#lines + 1] = name:upper() .. ": second"
      end
    end
    for _, l in ipairs({ "Set-Cookie: a=1", "SET-COOKIE: b=2", "Cookie: c=3", "cookie: d=4", "Accept: x",
      "accept:  y ", "X-Custom: 1", "x-custom: 2", "X-Custom: 3", "Single-Cookie: only", "Content-Length: 0" }) do
      lines[#lines + 1] = l
    end
    local h = parse("response", msg(lines))[1][2]
    for _, name in ipairs(FIRST) do
      if name ~= "Content-Length" then
        assert.equal("first", h.headers[name:lower()], name .. " keeps its first value")
      end
    end
    assert.same({ "a=1", "b=2" }, h.headers["set-cookie"])
    assert.equal("c=3; d=4", h.headers.cookie)
    assert.equal("x, y", h.headers.accept)
    assert.equal("1, 2, 3", h.headers["x-custom"])
    assert.equal("only", h.headers["single-cookie"])
    -- rawHeaders: as received, values trimmed
    local raw = {}
    for i = 1, #h.rawHeaders, 2 do raw[h.rawHeaders[i]] = h.rawHeaders[i + 1] end
    assert.equal("b=2", raw["SET-COOKIE"])
    assert.equal("y", raw.accept)
    assert.equal("x", raw.Accept)
    -- one Set-Cookie is a list of one
    local one = parse("response", msg({ "HTTP/1.1 200 OK", "Set-Cookie: x", "Content-Length: 0" }))[1][2]
    assert.same({ "x" }, one.headers["set-cookie"])
  end)

  it("gives the same events whole, byte by byte and split at random points", function()
    local cases = {}
    for _, r in ipairs(REQUESTS) do cases[#cases + 1] = { kind = "request", data = r } end
    for _, r in ipairs(RESPONSES) do
      cases[#cases + 1] = { kind = "response", data = r.data, skip = skipFor(r.method) }
    end
    for _, m in ipairs(MALFORMED) do cases[#cases + 1] = { kind = m.kind or "request", data = m[2] } end
    for i, c in ipairs(cases) do
      local whole = parse(c.kind, c.data, { skip = c.skip })
      local what = WHY .. "case " .. i .. " " .. string.format("%q", c.data:sub(1, 60))
      assert.same(whole, (parse(c.kind, c.data, { skip = c.skip, cuts = everyByte(c.data) })), what .. " byte by byte")
      for _ = 1, 20 do
        local cuts = randomCuts(c.data)
        assert.same(whole, (parse(c.kind, c.data, { skip = c.skip, cuts = cuts })),
          what .. " cut at " .. table.concat(cuts, ","))
      end
    end
  end)

  it("reads pipelined requests, one head and one complete each", function()
    local events = parse("request", REQUESTS[4])
    local kinds = {}
    for _, e in ipairs(events) do kinds[#kinds + 1] = e[1] end
    assert.same({ "headers", "complete", "headers", "body", "complete", "headers", "complete", "eof" }, kinds)
    local h = heads(events)
    assert.same({ "/1", "/2", "/3" }, { h[1].url, h[2].url, h[3].url })
    assert.same({ "GET", "POST", "DELETE" }, { h[1].method, h[2].method, h[3].method })
    assert.is_true(h[2].shouldKeepAlive)
    assert.is_false(h[3].shouldKeepAlive)
  end)

  it("reads chunked bodies with extensions and trailers", function()
    local events = parse("request", REQUESTS[3])
    assert.is_true(events[1][2].chunked)
    assert.equal("hello" .. string.rep("z", 26), find(events, "body")[2])
    local trailers = find(events, "complete")[2]
    assert.same({ raw = { "X-Sum", "1", "X-Sum", "2" }, headers = { ["x-sum"] = "1, 2" } }, trailers)
    -- no trailers: nil
    assert.is_nil(find(parse("request", msg(CHUNKED, "1\r\na\r\n0\r\n\r\n")), "complete")[2])
    -- gzip, chunked: chunked last is fine
    assert.equal("0123456789", find(parse("request", REQUESTS[13]), "body")[2])
  end)

  it("reads Content-Length bodies, also of length 0 and in a response", function()
    assert.equal("hello world", find(parse("request", REQUESTS[2]), "body")[2])
    local events = parse("request", msg({ "POST / HTTP/1.1", "Host: h", "Content-Length: 0" }))
    assert.is_nil(find(events, "body"))
    assert.equal(0, events[1][2].contentLength)
    assert.equal("hello", find(parse("response", RESPONSES[1].data), "body")[2])
    local big = string.rep("0123456789abcdef", 8192)
    events = parse("request", msg({ "PUT / HTTP/1.1", "Host: h", "Content-Length: " .. #big }, big),
      { cuts = randomCuts(big) })
    assert.equal(big, find(events, "body")[2])
  end)

  it("skips the body of a response to HEAD, and of 1xx, 204 and 304", function()
    local events = parse("response", RESPONSES[6].data .. RESPONSES[1].data, { skip = function(h)
      return h.contentLength == 1234
    end })
    local kinds = {}
    for _, e in ipairs(events) do kinds[#kinds + 1] = e[1] end
    assert.same({ "headers", "complete", "headers", "body", "complete", "eof" }, kinds)
    assert.equal(1234, events[1][2].contentLength)
    for _, i in ipairs({ 7, 8 }) do
      kinds = {}
      for _, e in ipairs(parse("response", RESPONSES[i].data)) do kinds[#kinds + 1] = e[1] end
      assert.same({ "headers", "complete", "eof" }, kinds)
    end
  end)

  it("reads a body to EOF, completed by finish()", function()
    local events = parse("response", RESPONSES[4].data, { finish = false })
    assert.equal("to the end", find(events, "body")[2])
    assert.is_nil(find(events, "complete"))
    local _, p = parse("response", RESPONSES[4].data, { finish = false })
    local completed = false
    p:reset("response")
    -- (a fresh run on the reset parser: complete comes with finish)
    local q = core.http_parser("response", { complete = function() completed = true end }, nil)
    assert.equal(#RESPONSES[4].data, q:execute(RESPONSES[4].data))
    assert.is_false(completed)
    assert.is_true(q:finish())
    assert.is_true(completed)
    -- and a message cut short is an error at finish
    local r = core.http_parser("request", {}, nil)
    r:execute("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
    local ok, err = r:finish()
    assert.is_nil(ok)
    assert.equal("HPE_INVALID_EOF_STATE", err.code)
    assert.equal("Parse Error: stream ended at an unexpected time", err.message)
    -- nothing at all, or a whole message, then EOF: fine
    assert.is_true(core.http_parser("request", {}, nil):finish())
  end)

  it("reads 1xx responses before the final one", function()
    local events = parse("response", RESPONSES[3].data)
    local codes = {}
    for _, h in ipairs(heads(events)) do codes[#codes + 1] = h.statusCode end
    assert.same({ 100, 102, 201 }, codes)
    assert.equal("ok", find(events, "body")[2])
  end)

  it("stops after an upgrade or a CONNECT and leaves the rest to the caller", function()
    local events, p = parse("request", REQUESTS[10])
    assert.is_true(events[1][2].upgrade)
    assert.same({ "complete" }, { events[2][1] })
    assert.same({ "upgraded", "\x81\x05hello" }, events[3])
    assert.is_true(p:upgraded())
    assert.has_error(function() p:execute("more") end)
    events = parse("request", REQUESTS[11])
    assert.equal("CONNECT", events[1][2].method)
    assert.equal("example.com:443", events[1][2].url)
    assert.same({ "upgraded", "\x16\x03\x01 tls bytes" }, events[3])
    -- an upgrade with a body: the body is the new protocol's (as Node)
    events = parse("request", REQUESTS[12])
    assert.same({ "upgraded", "abcNEXT" }, events[#events])
    assert.is_nil(find(events, "body"))
    -- responses: 101, and 2xx to a CONNECT (the headers handler returns 2)
    events = parse("response", RESPONSES[9].data)
    assert.same({ "upgraded", "\x81\x02hi" }, events[#events])
    events = parse("response", RESPONSES[10].data, { skip = skipFor("CONNECT") })
    assert.same({ "upgraded", "tunnel bytes" }, events[#events])
    -- reset makes it an HTTP parser again
    p:reset()
    assert.is_false(p:upgraded())
    assert.equal(#REQUESTS[1], p:execute(REQUESTS[1]))
  end)

  it("refuses each malformed input with Node's code, whole and split", function()
    for i, m in ipairs(MALFORMED) do
      local kind = m.kind or "request"
      local events, _, err = parse(kind, m[2])
      local what = m[1] .. " (" .. i .. ")"
      assert.same({ "error", m[3] }, events[#events], what)
      if err then
        assert.equal("Parse Error: " .. err.reason, err.message, what)
        assert.equal("Error", err.name, what)
        assert.is_true(math.type(err.bytesParsed) == "integer" and err.bytesParsed >= 0
          and err.bytesParsed <= #m[2], what)
      end
      assert.same({ "error", m[3] }, (parse(kind, m[2], { cuts = everyByte(m[2]) }))[#events], what .. " byte by byte")
    end
  end)

  it("keeps giving the parse error until reset", function()
    local p = core.http_parser("request", {}, nil)
    local n, err = p:execute("GET / HTTP/1.1\r\nHost : h\r\n\r\n")
    assert.is_nil(n)
    assert.equal("HPE_INVALID_HEADER_TOKEN", err.code)
    local n2, err2 = p:execute("GET / HTTP/1.1\r\n\r\n")
    assert.is_nil(n2)
    assert.equal("HPE_INVALID_HEADER_TOKEN", err2.code)
    assert.equal(0, err2.bytesParsed)
    assert.is_nil((p:finish()))
    p:reset()
    assert.equal(18, p:execute("GET / HTTP/1.1\r\n\r\n"))
  end)

  it("counts header bytes as Node does (maxHeaderSize)", function()
    -- Node counts the url, status message, names and values; the limit is
    -- reached at maxHeaderSize bytes
    local function head(valueLen)
      return msg({ "GET /x HTTP/1.1", "Host: h", "X: " .. string.rep("v", valueLen) })
    end
    local counted = #"/x" + #"Host" + #"h" + #"X"
    local ok = parse("request", head(16384 - counted - 1))
    assert.equal("headers", ok[1][1])
    local over = parse("request", head(16384 - counted))
    assert.same({ "error", "HPE_HEADER_OVERFLOW" }, over[#over])
    -- per parser
    local small = parse("request", head(100), { opts = { maxHeaderSize = 100 + counted + 1 } })
    assert.equal("headers", small[1][1])
    small = parse("request", head(100), { opts = { maxHeaderSize = 100 + counted } })
    assert.same({ "error", "HPE_HEADER_OVERFLOW" }, small[#small])
    local big = parse("request", head(60000), { opts = { maxHeaderSize = 65536 } })
    assert.equal(60000, #big[1][2].headers.x)
    -- counted again for the trailers, and per message
    local trailers = msg(CHUNKED, "1\r\na\r\n0\r\nT: " .. string.rep("t", 60) .. "\r\n\r\n")
    local events = parse("request", trailers .. trailers, { opts = { maxHeaderSize = 70 } })
    assert.equal(2, #heads(events))
    events = parse("request", trailers, { opts = { maxHeaderSize = 61 } })
    assert.same({ "error", "HPE_HEADER_OVERFLOW" }, events[#events])
  end)

  it("drops the headers past maxHeadersCount from rawHeaders and headers", function()
    local lines = { "GET / HTTP/1.1" }
    for i = 1, 30 do lines[#lines + 1] = "X-" .. i .. ": " .. i end
    local h = parse("request", msg(lines), { opts = { maxHeadersCount = 10 } })[1][2]
    assert.equal(20, #h.rawHeaders)
    assert.equal("X-10", h.rawHeaders[19])
    assert.equal("10", h.headers["x-10"])
    assert.is_nil(h.headers["x-11"])
    -- 0: no limit; the default keeps 2000
    h = parse("request", msg(lines), { opts = { maxHeadersCount = 0 } })[1][2]
    assert.equal(60, #h.rawHeaders)
    for i = 31, 2100 do lines[#lines + 1] = "X-" .. i .. ": " .. i end
    h = parse("request", msg(lines), { opts = { maxHeaderSize = 1 << 20 } })[1][2]
    assert.equal(4000, #h.rawHeaders)
    assert.equal("2000", h.headers["x-2000"])
    assert.is_nil(h.headers["x-2001"])
    -- also in the trailers
    local t = {}
    for i = 1, 5 do t[#t + 1] = "T" .. i .. ": " .. i end
    local events = parse("request", msg(CHUNKED, "0\r\n" .. table.concat(t, CRLF) .. CRLF .. CRLF),
      { opts = { maxHeadersCount = 2 } })
    assert.same({ "T1", "1", "T2", "2" }, find(events, "complete")[2].raw)
  end)

  it("checks its arguments", function()
    assert.has_error(function() core.http_parser("both", {}, nil) end)
    assert.has_error(function() core.http_parser("request", nil, nil) end)
    assert.has_error(function() core.http_parser("request", { body = 1 }, nil) end)
    assert.has_error(function() core.http_parser("request", {}, nil, { maxHeaderSize = 0 }) end)
    assert.has_error(function() core.http_parser("request", {}, nil, { maxHeadersCount = -1 }) end)
    assert.has_error(function() core.http_parser("request", {}, nil, { maxHeadersCount = 1.5 }) end)
    assert.has_error(function() core.http_parser("request", {}, nil):execute() end)
    assert.equal(0, core.http_parser("request", {}, nil):execute(""))
  end)

  it("leaves the parser failed after a handler raises, until reset", function()
    local boom = setmetatable({}, { __tostring = function() return "boom" end })
    local calls = 0
    local p = core.http_parser("request", {
      headers = function(_, h)
        calls = calls + 1
        if h.url == "/raise" then error(boom) end
      end,
    }, nil)
    local ok, err = pcall(p.execute, p, msg({ "GET /raise HTTP/1.1", "Host: h" }) .. REQUESTS[1])
    assert.is_false(ok)
    assert.equal(boom, err)
    assert.equal(1, calls)
    local ok2, err2 = pcall(p.execute, p, REQUESTS[1])
    assert.is_false(ok2)
    assert.matches("a handler raised an error while it ran; reset%(%) it", err2)
    assert.has_error(function() p:finish() end)
    assert.equal(1, calls)
    p:reset()
    assert.equal(#REQUESTS[1], p:execute(REQUESTS[1]))
    assert.equal(2, calls)
    -- in the body and complete handlers too, and a string error keeps its text
    for _, where in ipairs({ "body", "complete" }) do
      local q = core.http_parser("request", { [where] = function() error("in " .. where) end }, nil)
      local okq, errq = pcall(q.execute, q, REQUESTS[2])
      assert.is_false(okq)
      assert.matches("in " .. where, errq)
      assert.has_error(function() q:execute(REQUESTS[1]) end)
    end
  end)

  it("refuses to run or reset from its own handlers", function()
    local p
    p = core.http_parser("request", { headers = function() p:execute(REQUESTS[1]) end }, nil)
    local ok, err = pcall(p.execute, p, REQUESTS[1])
    assert.is_false(ok)
    assert.matches("called from one of its own handlers", err)
    p = core.http_parser("request", { complete = function() p:reset() end }, nil)
    ok, err = pcall(p.execute, p, REQUESTS[1])
    assert.is_false(ok)
    assert.matches("reset%(%) from one of its own handlers", err)
  end)

  it("is reused after reset(kind, owner)", function()
    local seen = {}
    local p = core.http_parser("request", {
      headers = function(owner, h) seen[#seen + 1] = { owner, h.url or h.statusCode } end,
    }, "first")
    p:execute("GET /half HTTP/1.1\r\nHo")
    p:reset("response", "second")
    assert.equal(#RESPONSES[1].data, p:execute(RESPONSES[1].data))
    p:reset("request")
    assert.equal(#REQUESTS[1], p:execute(REQUESTS[1]))
    assert.same({ { "second", 200 }, { "second", "/a/b?c=d" } }, seen)
  end)

  it("pauses from a handler and resumes where it stopped", function()
    -- every handler pauses once: each piece is fed again from where
    -- execute stopped, and the events are those of one run
    local data = REQUESTS[3] .. REQUESTS[2] .. REQUESTS[4]
    local whole = parse("request", data)
    for _, where in ipairs({ "headers", "body", "complete" }) do
      local events = {}
      local p
      local function pause() p:pause(true) end
      p = core.http_parser("request", {
        headers = function(_, h)
          events[#events + 1] = { "headers", h }
          if where == "headers" then pause() end
        end,
        body = function(_, c)
          local last = events[#events]
          if last[1] == "body" then last[2] = last[2] .. c else events[#events + 1] = { "body", c } end
          if where == "body" then pause() end
        end,
        complete = function(_, t)
          events[#events + 1] = { "complete", t }
          if where == "complete" then pause() end
        end,
      }, nil)
      local rest, stops = data, 0
      while #rest > 0 do
        local n = assert(p:execute(rest))
        rest = rest:sub(n + 1)
        p:pause(false)
        stops = stops + 1
        assert(stops < 100, "no progress")
      end
      events[#events + 1] = p:finish() and { "eof" } or { "error" }
      assert.is_true(stops > 3, where)
      assert.same(whole, events, "paused in " .. where)
    end
    -- paused from outside: nothing is read until resumed
    local p = core.http_parser("request", {}, nil)
    p:pause(true)
    assert.equal(0, p:execute(REQUESTS[1]))
    p:pause(false)
    assert.equal(#REQUESTS[1], p:execute(REQUESTS[1]))
  end)

  it("survives garbage collection inside its handlers", function()
    local n = 0
    local function gc() collectgarbage("collect") end
    for _, r in ipairs(REQUESTS) do
      local p = core.http_parser("request", {
        headers = function(_, h) gc(); n = n + #h.rawHeaders end,
        body = gc,
        complete = gc,
      }, {})
      p:execute(r)
    end
    assert.is_true(n > 0)
  end)

  it("frees its memory when closed or collected, twice", function()
    do
      local p <close> = core.http_parser("request", {}, nil)
      p:execute("GET / HTTP/1.1\r\nHost: h\r\nX-Half: abc")
    end
    local p = core.http_parser("request", {}, nil)
    p:execute("GET / HTTP/1.1\r\nHost: h\r\nX-Half: abc")
    local mt = getmetatable(p)
    mt.__close(p)
    mt.__gc(p)
    mt.__close(p)
    assert.has_error(function() p:execute("x") end, "http parser: closed")
    -- not from its own handlers, while its memory is in use
    local q
    q = core.http_parser("request", { headers = function() getmetatable(q).__close(q) end }, nil)
    local ok, err = pcall(q.execute, q, REQUESTS[1])
    assert.is_false(ok)
    assert.matches("closed from one of its own handlers", err)
    collectgarbage("collect")
  end)
end)

-- ---- against Node --------------------------------------------------------------

local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end

-- Node's http server, fed raw requests: one line in (hex, then the server's
-- maxHeadersCount or "-"), one Lua table out: { error = code, messages =
-- the requests it completed (and the one it upgraded) }
local NODE_SERVER = helper.NODE_TO_LUA .. [[
const http = require('http'), net = require('net');
const input = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const cases = input.map((l) => {
  const [h, max] = l.split(' ');
  return { data: Buffer.from(h, 'hex'), max: max === '-' ? null : Number(max) };
});
const latin = (v) => typeof v === 'string' ? Buffer.from(v, 'latin1')
  : Array.isArray(v) ? v.map(latin)
  : v && typeof v === 'object' && !Buffer.isBuffer(v)
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, latin(x)])) : v;
const results = cases.map(() => ({ error: null, messages: [] }));
const server = http.createServer();
let current = 0;
server.on('connection', (s) => { s._case = current; });
function record(req) {
  const m = { method: req.method, url: latin(req.url), httpVersion: req.httpVersion,
    headers: latin(req.headers), rawHeaders: latin(req.rawHeaders) };
  results[req.socket._case].messages.push(m);
  return m;
}
server.on('request', (req, res) => {
  const m = record(req), body = [];
  m.done = false;
  req.on('data', (d) => body.push(d));
  req.on('end', () => {
    m.body = Buffer.concat(body);
    m.trailers = latin(req.trailers);
    m.rawTrailers = latin(req.rawTrailers);
    m.done = true;
    res.end();
  });
});
server.on('upgrade', (req, socket, head) => { record(req).upgrade = head; socket.destroy(); });
server.on('connect', (req, socket, head) => { record(req).connect = head; socket.destroy(); });
server.on('clientError', (err, socket) => {
  results[socket._case].error = err.code;
  socket.destroy();
});
server.listen(0, '127.0.0.1', () => {
  const next = () => {
    if (current >= cases.length) {
      for (const r of results) {
        r.messages = r.messages.filter((m) => m.done !== false);
        for (const m of r.messages) delete m.done;
        console.log(lua(r));
      }
      server.close();
      return;
    }
    server.maxHeadersCount = cases[current].max;
    const c = net.connect(server.address().port, '127.0.0.1', () => {
      c.end(cases[current].data);
    });
    c.on('data', () => {});
    c.on('error', () => {});
    c.on('close', () => { current++; setImmediate(next); });
  };
  next();
});
]]

-- Node's http client, fed raw responses by a net server: one line in (hex,
-- then the request's method), one Lua table out: { error = code, messages =
-- its 'information', 'response' (ended), 'upgrade' and 'connect' }
local NODE_CLIENT = helper.NODE_TO_LUA .. [[
const http = require('http'), net = require('net');
const input = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const cases = input.map((l) => { const [h, m] = l.split(' '); return { data: Buffer.from(h, 'hex'), method: m }; });
const latin = (v) => typeof v === 'string' ? Buffer.from(v, 'latin1')
  : Array.isArray(v) ? v.map(latin)
  : v && typeof v === 'object' && !Buffer.isBuffer(v)
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, latin(x)])) : v;
let current = 0;
const server = net.createServer((s) => {
  s.on('error', () => {});
  s.once('data', () => s.end(cases[current].data));
});
const head = (res) => ({ statusCode: res.statusCode, statusMessage: latin(res.statusMessage),
  httpVersion: res.httpVersion, headers: latin(res.headers), rawHeaders: latin(res.rawHeaders) });
server.listen(0, '127.0.0.1', () => {
  const next = () => {
    if (current >= cases.length) { server.close(); return; }
    const r = { error: null, messages: [] };
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      console.log(lua(r));
      current++;
      setImmediate(next);
    };
    const c = cases[current];
    const req = http.request({ port: server.address().port, host: '127.0.0.1', method: c.method,
      path: c.method === 'CONNECT' ? 'example.com:443' : '/', agent: false });
    req.on('information', (info) => {
      const m = head(info);
      m.information = true;
      r.messages.push(m);
    });
    req.on('response', (res) => {
      const m = head(res), body = [];
      res.on('data', (d) => body.push(d));
      res.on('end', () => {
        m.body = Buffer.concat(body);
        m.trailers = latin(res.trailers);
        m.rawTrailers = latin(res.rawTrailers);
        r.messages.push(m);
      });
      res.on('close', () => setImmediate(finish));
      res.on('error', () => {});
    });
    req.on('upgrade', (res, socket, rest) => { const m = head(res); m.upgrade = rest; r.messages.push(m);
      socket.destroy(); finish(); });
    req.on('connect', (res, socket, rest) => { const m = head(res); m.connect = rest; r.messages.push(m);
      socket.destroy(); finish(); });
    req.on('error', (e) => { r.error = e.code; setImmediate(finish); });
    req.end();
  };
  next();
});
]]

local function nodeAnswers(script, lines)
  local answers = helper.nodeLines(script, lines)
  assert.equal(#lines, #answers, "one answer per case")
  for i, a in ipairs(answers) do answers[i] = assert(load("return " .. a))() end
  return answers
end

-- our events in the shape the Node scripts print
local function asNode(kind, events, method)
  local r = { messages = {} }
  local cur
  for _, e in ipairs(events) do
    local what, v = e[1], e[2]
    if what == "headers" then
      if kind == "request" then
        cur = { method = v.method, url = v.url, httpVersion = v.httpVersion, headers = v.headers,
          rawHeaders = v.rawHeaders }
      else
        cur = { statusCode = v.statusCode, statusMessage = v.statusMessage, httpVersion = v.httpVersion,
          headers = v.headers, rawHeaders = v.rawHeaders }
        if v.statusCode // 100 == 1 and v.statusCode ~= 101 then
          cur.information = true
          r.messages[#r.messages + 1] = cur
          cur = nil
        end
      end
    elseif what == "body" and cur then
      cur.body = (cur.body or "") .. v
    elseif what == "complete" and cur then
      if not events[#events][1]:match("upgraded") then
        cur.body = cur.body or ""
        cur.trailers = v and v.headers or {}
        cur.rawTrailers = v and v.raw or {}
      end
      r.messages[#r.messages + 1] = cur
    elseif what == "upgraded" then
      local last = r.messages[#r.messages]
      if (last.method or method) == "CONNECT" then last.connect = v else last.upgrade = v end
    elseif what == "error" then
      r.error = v
    end
  end
  return r
end

-- well-formed requests Node's server takes, and malformed ones it refuses
local function differentialRequests()
  local cases = {}
  for _, r in ipairs(REQUESTS) do cases[#cases + 1] = { data = r } end
  for _, m in ipairs(MALFORMED) do
    if not m.kind then cases[#cases + 1] = { data = m[2], code = m[3] } end
  end
  -- headers just under and at the limit; many headers over a count
  local counted = #"/" + #"Host" + #"h" + #"X-Long"
  for _, len in ipairs({ 16384 - counted - 1, 16384 - counted }) do
    cases[#cases + 1] = { data = msg({ "GET / HTTP/1.1", "Host: h", "X-Long: " .. string.rep("a", len) }) }
  end
  local many = { "GET /many HTTP/1.1", "Host: h" }
  for i = 1, 20 do many[#many + 1] = (i % 2 == 0 and "X-Dup" or "X-" .. i) .. ": " .. i end
  cases[#cases + 1] = { data = msg(many), max = 7, joinedOnly = true }
  -- random well-formed requests: methods, urls, header sets, bodies, chunks
  local methods = { "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD" }
  local names = { "Accept", "Set-Cookie", "Cookie", "X-A", "x-a", "User-Agent", "Referer", "Cache-Control",
    "If-None-Match", "Vary", "Authorization", "From", "Max-Forwards" }
  for _ = 1, 30 do
    local lines = { methods[math.random(#methods)] .. " /" .. helper.randomString(math.random(0, 8)):gsub("[^%w]", "x")
      .. " HTTP/1." .. math.random(0, 1), "Host: h" }
    if lines[1]:match("1%.0$") then lines[#lines + 1] = "Connection: keep-alive" end
    for _ = 1, math.random(0, 12) do
      lines[#lines + 1] = names[math.random(#names)] .. ":" .. string.rep(" ", math.random(0, 2))
        .. helper.randomString(math.random(0, 12)):gsub("[%c\128-\255]", "v") .. string.rep("\t", math.random(0, 1))
    end
    local body = helper.randomString(math.random(0, 40))
    local data
    if math.random(2) == 1 then
      lines[#lines + 1] = "Content-Length: " .. #body
      data = msg(lines, body)
    else
      lines[#lines + 1] = "Transfer-Encoding: chunked"
      data = msg(lines, string.format("%x", #body) .. "\r\n" .. body .. "\r\n0\r\nX-T: "
        .. math.random(1000) .. "\r\n\r\n")
    end
    cases[#cases + 1] = { data = data .. (math.random(3) == 1 and msg({ "GET /next HTTP/1.1", "Host: h" }) or "") }
  end
  return cases
end

describe("core.http_parser against Node", function()
  it("reads requests as Node's http server does", function()
    if not helper.needs("node") then return end
    math.randomseed(SEED)
    local cases = differentialRequests()
    local lines = {}
    for i, c in ipairs(cases) do lines[i] = hex(c.data) .. " " .. (c.max or "-") end
    local answers = nodeAnswers(NODE_SERVER, lines)
    for i, c in ipairs(cases) do
      local what = WHY .. "request case " .. i .. " " .. string.format("%q", c.data:sub(1, 80))
      local ours = asNode("request", parse("request", c.data, { opts = c.max and { maxHeadersCount = c.max } }))
      local theirs = answers[i]
      if c.joinedOnly then
        -- Node drops the headers past maxHeadersCount from headers only
        -- (rawHeaders past it in batches of 32): only the joined form compares
        for _, list in ipairs({ ours.messages, theirs.messages }) do
          for _, m in ipairs(list) do m.rawHeaders = nil end
        end
      end
      assert.same(theirs, ours, what)
      if c.code then assert.equal(c.code, ours.error, what) end
    end
  end)

  it("reads responses as Node's http client does", function()
    if not helper.needs("node") then return end
    local cases = {}
    for _, r in ipairs(RESPONSES) do cases[#cases + 1] = { data = r.data, method = r.method } end
    for _, m in ipairs(MALFORMED) do
      if m.kind == "response" and not m.notClient then
        cases[#cases + 1] = { data = m[2], method = "GET", code = m[3] }
      end
    end
    local lines = {}
    for i, c in ipairs(cases) do lines[i] = hex(c.data) .. " " .. c.method end
    local answers = nodeAnswers(NODE_CLIENT, lines)
    for i, c in ipairs(cases) do
      local what = "response case " .. i .. " " .. string.format("%q", c.data:sub(1, 80))
      local events = parse("response", c.data, { skip = skipFor(c.method) })
      -- a client reads one response (after any 1xx): what follows it is
      -- not read
      local final
      for j, e in ipairs(events) do
        if e[1] == "headers" then final = e[2].statusCode // 100 ~= 1 or e[2].statusCode == 101 end
        if e[1] == "complete" and final then
          local upgraded = events[j + 1] and events[j + 1][1] == "upgraded"
          events = table.move(events, 1, upgraded and j + 1 or j, 1, {})
          break
        end
      end
      local ours = asNode("response", events, c.method)
      assert.same(answers[i], ours, what)
      if c.code then assert.equal(c.code, ours.error, what) end
    end
  end)

  it("takes and refuses the bytes Node does, byte by byte", function()
    if not helper.needs("node") then return end
    local places = {
      url = function(c) return msg({ "GET /a" .. c .. "b HTTP/1.1", "Host: h" }) end,
      name = function(c) return msg({ "GET / HTTP/1.1", "Host: h", "X" .. c .. "Y: v" }) end,
      value = function(c) return msg({ "GET / HTTP/1.1", "Host: h", "X: a" .. c .. "b" }) end,
      ["value end"] = function(c) return msg({ "GET / HTTP/1.1", "Host: h", "X: ab" .. c }) end,
      ["chunk size"] = function(c) return msg(CHUNKED, "3" .. c .. "\r\nabc\r\n0\r\n\r\n") end,
      ["chunk extension"] = function(c) return msg(CHUNKED, "3;a" .. c .. "\r\nabc\r\n0\r\n\r\n") end,
      ["trailer name"] = function(c) return msg(CHUNKED, "3\r\nabc\r\n0\r\nT" .. c .. "U: v\r\n\r\n") end,
      ["before the request"] = function(c) return c .. msg({ "GET / HTTP/1.1", "Host: h" }) end,
    }
    local cases, lines = {}, {}
    for place, make in pairs(places) do
      for b = 0, 255 do
        cases[#cases + 1] = { place = place, byte = b, data = make(string.char(b)) }
        lines[#lines + 1] = hex(cases[#cases].data) .. " -"
      end
    end
    local answers = nodeAnswers(NODE_SERVER, lines)
    -- both refuse these, with other codes (src/http/parser.c, `Node's
    -- refusals`): Node reads "GET /a" LF as an HTTP/0.9 request line; a CR
    -- in the url is http-parser's own refusal
    local KNOWN = { ["url 0a"] = true, ["url 0d"] = true }
    local wrong = {}
    for i, c in ipairs(cases) do
      local ours = asNode("request", parse("request", c.data))
      local theirs = answers[i]
      local okOurs, okTheirs = ours.error == nil, theirs.error == nil
      local known = KNOWN[string.format("%s %02x", c.place, c.byte)] and not okOurs and not okTheirs
      if not known and (okOurs ~= okTheirs or (okOurs and not same(theirs, ours))
        or (not okOurs and ours.error ~= theirs.error)) then
        wrong[#wrong + 1] = string.format("%s %02x: node %s, ours %s", c.place, c.byte,
          tostring(theirs.error or "ok"), tostring(ours.error or "ok"))
      end
    end
    assert.same({}, wrong)
  end)
end)
