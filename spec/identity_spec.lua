-- luatls.identity: checkServerIdentity with Node 20's rules and messages.
-- The expected reasons below are what Node 20 answers for the same input;
-- when `node` is installed one test asks it again.
local helper = require("spec.helper")
local certs = require("spec.certs")
local core = require("luatls.core")
local errors = require("luatls.errors")
local identity = require("luatls.identity")

local check = identity.checkServerIdentity

local function san(s) return { subject = {}, subjectaltname = s } end
local function cn(v) return { subject = { CN = v } } end

-- { host, cert, expected reason (nil: the host matches) }
local cases = {
  -- wildcards: the whole left-most label
  { "a.example.com", san("DNS:*.example.com"), nil },
  { "A.Example.COM", san("DNS:*.example.com"), nil },
  { "a.example.com.", san("DNS:*.example.com"), nil },
  { "a.example.com", san("DNS:*.EXAMPLE.com."), nil },
  { "example.com", san("DNS:*.example.com"),
    "Host: example.com. is not in the cert's altnames: DNS:*.example.com" },
  { "a.b.example.com", san("DNS:*.example.com"),
    "Host: a.b.example.com. is not in the cert's altnames: DNS:*.example.com" },
  { ".example.com", san("DNS:*.example.com"), nil },
  -- partial wildcards, as current Node still allows them
  { "foo.example.com", san("DNS:f*.example.com"), nil },
  { "foo.example.com", san("DNS:*o.example.com"), nil },
  { "foo.example.com", san("DNS:f*o.example.com"), nil },
  { "bar.example.com", san("DNS:f*.example.com"),
    "Host: bar.example.com. is not in the cert's altnames: DNS:f*.example.com" },
  { "fo.example.com", san("DNS:fo*o.example.com"),
    "Host: fo.example.com. is not in the cert's altnames: DNS:fo*o.example.com" },
  -- never: a wildcard over a two-label name, two wildcards, a wildcard
  -- anywhere but the left-most label, A-labels, empty labels, non-ASCII
  { "foo.com", san("DNS:*.com"), "Host: foo.com. is not in the cert's altnames: DNS:*.com" },
  { "foo.com", san("DNS:f*.com"), "Host: foo.com. is not in the cert's altnames: DNS:f*.com" },
  { "foo.example.com", san("DNS:**.example.com"),
    "Host: foo.example.com. is not in the cert's altnames: DNS:**.example.com" },
  { "a.b.com", san("DNS:a.*.com"), "Host: a.b.com. is not in the cert's altnames: DNS:a.*.com" },
  { "xn--bcher-kva.example.com", san("DNS:xn--*.example.com"),
    "Host: xn--bcher-kva.example.com. is not in the cert's altnames: DNS:xn--*.example.com" },
  { "xn--bcher-kva.example.com", san("DNS:xn--bcher-kva.example.com"), nil },
  { "a..example.com", san("DNS:a..example.com"),
    "Host: a..example.com. is not in the cert's altnames: DNS:a..example.com" },
  { "bücher.example", san("DNS:bücher.example"),
    "Host: bücher.example. is not in the cert's altnames: DNS:bücher.example" },
  -- several names
  { "localhost", san("DNS:example.com, DNS:localhost, IP Address:127.0.0.1"), nil },
  { "other", san("DNS:example.com, DNS:localhost, IP Address:127.0.0.1"),
    "Host: other. is not in the cert's altnames: DNS:example.com, DNS:localhost, IP Address:127.0.0.1" },
  -- IP addresses: only IP entries, compared in canonical form
  { "127.0.0.1", san("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"), nil },
  { "::1", san("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"), nil },
  { "0:0:0::1", san("IP Address:0:0:0:0:0:0:0:1"), nil },
  { "::FFFF:127.0.0.1", san("IP Address:0:0:0:0:0:FFFF:7F00:1"), nil },
  { "127.0.0.1.", san("IP Address:127.0.0.1"), nil },
  { "10.0.0.1", san("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"),
    "IP: 10.0.0.1 is not in the cert's list: 127.0.0.1, ::1" },
  { "::2", san("IP Address:0:0:0:0:0:0:0:1"), "IP: ::2 is not in the cert's list: ::1" },
  { "127.0.0.1", san("DNS:127.0.0.1"), "IP: 127.0.0.1 is not in the cert's list: " },
  { "127.0.0.1", { subject = { CN = "127.0.0.1" } }, "IP: 127.0.0.1 is not in the cert's list: " },
  { "localhost", san("IP Address:127.0.0.1"), "Cert does not contain a DNS name" },
  -- the CN: only without DNS names
  { "localhost", cn("localhost"), nil },
  { "LOCALHOST.", cn("localhost"), nil },
  { "a.example.com", cn("*.example.com"), nil },
  { "other", cn("localhost"), "Host: other. is not cert's CN: localhost" },
  { "localhost", { subject = { CN = "localhost" }, subjectaltname = "DNS:other" },
    "Host: localhost. is not in the cert's altnames: DNS:other" },
  { "localhost", { subject = { CN = "localhost" }, subjectaltname = "IP Address:127.0.0.1" }, nil },
  { "localhost", { subject = { CN = "localhost" }, subjectaltname = "email:a@localhost" }, nil },
  { "b.com", cn({ "a.com", "b.com" }), nil },
  { "x", cn({ "a", "b" }), "Host: x. is not cert's CN: a,b" },
  -- nothing to match
  { "x", {}, "Cert does not contain a DNS name" },
  { "x", { subject = {} }, "Cert does not contain a DNS name" },
  { "x", cn(""), "Cert does not contain a DNS name" },
  { "x", san(""), "Cert does not contain a DNS name" },
  -- escaped (JSON-quoted) names are one name each, not a list
  { "good.com", { subject = {}, subjectaltname = 'DNS:"evil.com\\u002c DNS:good.com"' },
    "Host: good.com. is not in the cert's altnames: DNS:\"evil.com\\u002c DNS:good.com\"" },
  { "a.com", { subject = {}, subjectaltname = 'URI:"http://x/a\\u002cb", DNS:a.com' }, nil },
  { "b.com", { subject = {}, subjectaltname = 'DNS:"b\\u002ecom"' }, nil },
}

-- a little JSON for sending the cases to node
local function json(v)
  if type(v) == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
    end) .. '"'
  elseif type(v) == "table" then
    local parts = {}
    if #v > 0 then
      for i, x in ipairs(v) do parts[i] = json(x) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, x in pairs(v) do parts[#parts + 1] = json(tostring(k)) .. ":" .. json(x) end
    table.sort(parts)
    return "{" .. table.concat(parts, ",") .. "}"
  elseif v == nil then
    return "null"
  end
  return tostring(v)
end

describe("luatls.identity", function()
  describe("checkServerIdentity, table-driven", function()
    for i, case in ipairs(cases) do
      local host, cert, reason = case[1], case[2], case[3]
      local name = string.format("#%d %s against %s", i, host,
        cert.subjectaltname and ("altnames '" .. cert.subjectaltname .. "'")
          or ("CN " .. json(cert.subject and cert.subject.CN)))
      it(name, function()
        local err = check(host, cert)
        if reason == nil then
          assert.is_nil(err, err and err.reason)
        else
          assert.is_table(err)
          assert.equal(reason, err.reason)
        end
      end)
    end
  end)

  it("returns Node's error object", function()
    local cert = san("DNS:example.com")
    local err = check("Other.Host.", cert)
    assert.is_true(errors.is(err))
    assert.equal("Error", err.name)
    assert.equal("ERR_TLS_CERT_ALTNAME_INVALID", err.code)
    assert.equal("Host: Other.Host. is not in the cert's altnames: DNS:example.com", err.reason)
    assert.equal("Hostname/IP does not match certificate's altnames: " .. err.reason, err.message)
    assert.equal("Other.Host", err.host)
    assert.equal(cert, err.cert)
    assert.equal("Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match "
      .. "certificate's altnames: Host: Other.Host. is not in the cert's altnames: DNS:example.com",
      tostring(err))
  end)

  it("raises ERR_TLS_CERT_ALTNAME_FORMAT for a broken escaped name", function()
    local ok, err = pcall(check, "a.com", { subjectaltname = 'DNS:"a.com' })
    assert.is_false(ok)
    assert.equal("ERR_TLS_CERT_ALTNAME_FORMAT", err.code)
    assert.equal("SyntaxError", err.name)
    assert.equal("Invalid subject alternative name string", err.message)
  end)

  it("canonicalizes IP addresses as Node does", function()
    assert.same({ "::1", 6 }, { core.x509_canonical_ip("0:0:0:0:0:0:0:1") })
    assert.same({ "::ffff:127.0.0.1", 6 }, { core.x509_canonical_ip("0:0:0:0:0:FFFF:7F00:1") })
    assert.same({ "fe80::1", 6 }, { core.x509_canonical_ip("FE80:0:0:0:0:0:0:1") })
    assert.same({ "127.0.0.1", 4 }, { core.x509_canonical_ip("127.0.0.1") })
    assert.is_nil(core.x509_canonical_ip("localhost"))
    assert.is_nil(core.x509_canonical_ip("127.0.0.01"))
    assert.is_nil(core.x509_canonical_ip("127.0.0.1\0junk"))
    assert.is_nil(core.x509_canonical_ip(""))
  end)

  describe("with real certificates", function()
    local function parsed(name) return assert(core.x509_parse(certs.read(name))) end

    it("server: localhost and its addresses", function()
      local c = parsed("server-cert.pem")
      for _, host in ipairs({ "localhost", "LocalHost.", "127.0.0.1", "::1", "0:0:0:0:0:0:0:1" }) do
        assert.is_nil(check(host, c), host)
      end
      assert.equal("Host: example.com. is not in the cert's altnames: "
        .. "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
        check("example.com", c).reason)
      assert.equal("IP: 127.0.0.2 is not in the cert's list: 127.0.0.1, ::1",
        check("127.0.0.2", c).reason)
    end)

    it("ECDSA server: the same names", function()
      local c = parsed("server-ec-cert.pem")
      assert.is_nil(check("localhost", c))
      assert.is_nil(check("::1", c))
      assert.is_table(check("localhost.localdomain", c))
    end)

    it("wrong host", function()
      local c = parsed("wronghost-cert.pem")
      assert.is_nil(check("wrong.example.org", c))
      local err = check("localhost", c)
      assert.equal("Host: localhost. is not in the cert's altnames: DNS:wrong.example.org", err.reason)
      assert.equal("localhost", err.host)
    end)

    it("wildcard", function()
      local c = parsed("wildcard-cert.pem")
      assert.is_nil(check("www.example.com", c))
      assert.is_nil(check("API.EXAMPLE.COM", c))
      assert.is_table(check("example.com", c))
      assert.is_table(check("a.b.example.com", c))
    end)

    it("self-signed and expired certificates name localhost", function()
      assert.is_nil(check("localhost", parsed("selfsigned-cert.pem")))
      assert.is_nil(check("localhost", parsed("expired-cert.pem")))
    end)

    it("client: no DNS names, so the CN counts", function()
      local c = parsed("client-cert.pem")
      assert.is_nil(check("client", c))
      assert.equal("Host: server. is not cert's CN: client", check("server", c).reason)
    end)

    it("a CA without alt names: the CN", function()
      local c = parsed("ca-cert.pem")
      assert.equal("Host: localhost. is not cert's CN: luatls Test Root CA",
        check("localhost", c).reason)
    end)

    it("escaped alt names and a multi-valued CN (spec/fixtures/odd-cert.pem)", function()
      local f = assert(io.open(helper.root .. "/spec/fixtures/odd-cert.pem", "rb"))
      local c = assert(core.x509_parse(f:read("a")))
      f:close()
      assert.is_nil(check("odd.example.com", c))
      assert.is_nil(check("10.0.0.1", c))
      assert.is_nil(check("fe80::1", c))
      assert.is_table(check("good.com", c))
      assert.is_table(check("evil.com", c))
      assert.is_table(check("Jörg", c))
    end)
  end)

  it("agrees with Node's tls.checkServerIdentity (when node is installed)", function()
    local _, status = helper.sh("command -v node")
    if status ~= 0 then
      pending("node is not installed")
      return
    end
    local list = {}
    for i, case in ipairs(cases) do list[i] = { case[1], case[2] } end
    local input = os.tmpname()
    local f = assert(io.open(input, "w"))
    f:write(json(list))
    f:close()
    local script = [[
      const tls = require('tls');
      const cases = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
      for (const [host, cert] of cases) {
        let r;
        try { const e = tls.checkServerIdentity(host, cert); r = e ? e.reason : '<ok>'; }
        catch (e) { r = '<throws ' + e.code + '>'; }
        console.log(Buffer.from(r).toString('hex'));
      }]]
    local out, st = helper.sh("node -e '" .. script:gsub("'", "'\\''") .. "' " .. input)
    os.remove(input)
    assert.equal(0, st, out)
    local i = 0
    for line in out:gmatch("[^\n]+") do
      i = i + 1
      local want = require("luatls.buffer").fromHex(line)
      local err = check(cases[i][1], cases[i][2])
      assert.equal(want, err and err.reason or "<ok>", "case #" .. i .. " " .. cases[i][1])
    end
    assert.equal(#cases, i)
  end)
end)
