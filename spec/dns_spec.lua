-- dns: lookup and lookupService against the system's resolver, loopback only.
-- Nothing here asks a DNS server: localhost and 127.0.0.1 are in /etc/hosts,
-- IP literals answer themselves, names under .invalid fail without a query
-- (RFC 6761), and the IPv6 tests that need a name use one /etc/hosts gives
-- ::1, or are pending.
local helper = require("spec.helper")
local dns = require("luatls.dns")
local net = require("luatls.net")
local core = require("luatls.core")

-- lookup(...) -> the callback's arguments (a table.pack), after checking that
-- the callback came later than the call
local function lookup(...)
  local got, returned = nil, false
  local args = table.pack(...)
  args[args.n + 1] = function(...)
    assert(returned, "the callback ran inside the call to dns.lookup")
    assert(got == nil, "the callback ran twice")
    got = table.pack(...)
  end
  args.n = args.n + 1
  dns.lookup(table.unpack(args, 1, args.n))
  returned = true
  helper.wait(function() return got end, nil, "dns.lookup's callback")
  helper.drain()
  return got
end

local function lookupService(address, port)
  local got, returned = nil, false
  dns.lookupService(address, port, function(...)
    assert(returned, "the callback ran inside the call to dns.lookupService")
    got = table.pack(...)
  end)
  returned = true
  helper.wait(function() return got end, nil, "dns.lookupService's callback")
  return got
end

-- the names /etc/hosts gives an address
local function hostsNames(address)
  local names = {}
  local f = io.open("/etc/hosts")
  if not f then return names end
  for line in f:lines() do
    line = line:gsub("#.*", "")
    local addr, rest = line:match("^%s*(%S+)%s+(.*)$")
    if addr == address then
      for name in rest:gmatch("%S+") do names[#names + 1] = name end
    end
  end
  f:close()
  return names
end

local function raises(code, fn)
  local ok, err = pcall(fn)
  assert.is_false(ok, "expected " .. code)
  assert.is_table(err, tostring(err))
  assert.equal(code, err.code, tostring(err))
  return err
end

describe("dns", function()
  helper.leakcheck()

  describe("lookup", function()
    it("resolves localhost (without options: cb(nil, address, family))", function()
      local r = lookup("localhost")
      assert.is_nil(r[1])
      assert.is_true(r[2] == "127.0.0.1" or r[2] == "::1", tostring(r[2]))
      assert.equal(net.isIP(r[2]), r[3])
    end)

    it("resolves localhost with family 4: as a number, in options, or as \"IPv4\"", function()
      for _, options in ipairs({ 4, { family = 4 }, { family = "IPv4" } }) do
        local r = lookup("localhost", options)
        assert.is_nil(r[1])
        assert.equal("127.0.0.1", r[2])
        assert.equal(4, r[3])
      end
    end)

    it("all = true gives every address as { address =, family = }", function()
      local r = lookup("localhost", { all = true })
      assert.is_nil(r[1])
      local list = r[2]
      assert.is_true(#list >= 1)
      local seen = {}
      for _, a in ipairs(list) do
        assert.equal(net.isIP(a.address), a.family)
        seen[a.address] = true
      end
      assert.is_true(seen["127.0.0.1"] or seen["::1"], "no loopback address")
      -- (glibc may list 127.0.0.1 twice when /etc/hosts also gives
      -- localhost ::1; Node passes that on as it is, and so does luatls)
      r = lookup("localhost", { all = true, family = 4 })
      assert.is_true(#r[2] >= 1)
      for _, a in ipairs(r[2]) do assert.same({ address = "127.0.0.1", family = 4 }, a) end
    end)

    it("answers an IP literal itself (never inline), whatever the family asked", function()
      local r = lookup("127.0.0.1")
      assert.same({ n = 3, nil, "127.0.0.1", 4 }, r)
      r = lookup("::1", 6)
      assert.same({ n = 3, nil, "::1", 6 }, r)
      r = lookup("::1", { all = true })
      assert.same({ { address = "::1", family = 6 } }, r[2])
      r = lookup("127.0.0.1", { family = 6 })
      assert.equal("127.0.0.1", r[2])
      assert.equal(4, r[3])
    end)

    it("family 6 through the resolver, for a name /etc/hosts gives ::1", function()
      local names = hostsNames("::1")
      if #names == 0 then
        pending("/etc/hosts gives ::1 no name (asking DNS for one is not a loopback test)")
        return
      end
      for _, options in ipairs({ 6, { family = 6 }, { family = "IPv6" } }) do
        local r = lookup(names[1], options)
        assert.is_nil(r[1], tostring(r[1]))
        assert.equal("::1", r[2])
        assert.equal(6, r[3])
      end
    end)

    it("order: ipv4first and ipv6first sort a name with both families", function()
      local both
      local v4 = {}
      for _, n in ipairs(hostsNames("127.0.0.1")) do v4[n] = true end
      for _, n in ipairs(hostsNames("::1")) do
        if v4[n] then both = n; break end
      end
      if not both then
        pending("/etc/hosts has no name for both 127.0.0.1 and ::1")
        return
      end
      local r = lookup(both, { all = true, order = "ipv4first" })
      assert.equal(4, r[2][1].family)
      assert.equal(6, r[2][#r[2]].family)
      r = lookup(both, { all = true, order = "ipv6first" })
      assert.equal(6, r[2][1].family)
      assert.equal(4, r[2][#r[2]].family)
      r = lookup(both, { verbatim = false })
      assert.equal("127.0.0.1", r[2])
    end)

    it("takes the order options and the default result order", function()
      assert.equal("verbatim", dns.getDefaultResultOrder())
      for _, order in ipairs({ "ipv4first", "ipv6first", "verbatim" }) do
        local r = lookup("localhost", { order = order, family = 4 })
        assert.equal("127.0.0.1", r[2])
      end
      dns.setDefaultResultOrder("ipv4first")
      assert.equal("ipv4first", dns.getDefaultResultOrder())
      local r = lookup("localhost", { all = true })
      assert.equal(4, r[2][1].family)
      dns.setDefaultResultOrder("verbatim")
      raises("ERR_INVALID_ARG_VALUE", function() dns.setDefaultResultOrder("random") end)
      assert.equal("verbatim", dns.getDefaultResultOrder())
    end)

    it("takes getaddrinfo hints: dns.ADDRCONFIG, dns.V4MAPPED, dns.ALL", function()
      for _, k in ipairs({ "ADDRCONFIG", "V4MAPPED", "ALL" }) do
        assert.is_true(math.type(dns[k]) == "integer" and dns[k] > 0, k)
      end
      local r = lookup("localhost", { family = 4, hints = dns.V4MAPPED | dns.ALL })
      assert.is_nil(r[1])
      assert.equal("127.0.0.1", r[2])
    end)

    it("ENOTFOUND for a name under .invalid, at once and without asking DNS", function()
      for _, name in ipairs({ "nonexistent.invalid", "NoNexistent.INVALID.", "invalid" }) do
        local t0 = core.hrtime()
        local r = lookup(name)
        local err = r[1]
        assert.is_true((core.hrtime() - t0) / 1e6 < 1000, "took " .. (core.hrtime() - t0) / 1e6 .. " ms")
        assert.equal(1, r.n)
        assert.equal("ENOTFOUND", err.code)
        assert.equal("getaddrinfo", err.syscall)
        assert.equal(name, err.hostname)
        assert.equal(core.UV_EAI_NONAME, err.errno)
        assert.equal("getaddrinfo ENOTFOUND " .. name, err.message)
        assert.equal("Error: getaddrinfo ENOTFOUND " .. name, tostring(err))
        assert.equal(dns.NOTFOUND, err.code)
      end
      local r = lookup("nonexistent.invalid", { all = true })
      assert.equal("ENOTFOUND", r[1].code)
    end)

    it("a nil, false or empty host name answers nothing, as Node's falsy one", function()
      assert.same({ n = 3, nil, nil, 4 }, lookup(nil))
      assert.same({ n = 3, nil, nil, 6 }, lookup("", 6))
      assert.same({ n = 2, nil, {} }, lookup(false, { all = true }))
    end)

    it("raises at once for bad arguments, with Node's codes", function()
      local cb = function() error("called") end
      local err = raises("ERR_INVALID_ARG_TYPE", function() dns.lookup(1, cb) end)
      assert.equal("TypeError", err.name)
      assert.equal('The "hostname" argument must be of type string. Received type number (1)', err.message)
      raises("ERR_INVALID_ARG_TYPE", function() dns.lookup({}, cb) end)
      err = raises("ERR_INVALID_ARG_VALUE", function() dns.lookup("localhost", 5, cb) end)
      assert.equal("TypeError", err.name)
      assert.equal("The argument 'family' must be one of: 0, 4, 6. Received 5", err.message)
      err = raises("ERR_INVALID_ARG_VALUE", function() dns.lookup("localhost", { family = "IPv5" }, cb) end)
      assert.equal("The property 'options.family' must be one of: 0, 4, 6. Received 'IPv5'", err.message)
      raises("ERR_INVALID_ARG_VALUE", function() dns.lookup("localhost", { family = 10 }, cb) end)
      err = raises("ERR_INVALID_ARG_VALUE", function() dns.lookup("localhost", { hints = 1234567 }, cb) end)
      assert.equal("The argument 'hints' is invalid. Received 1234567", err.message)
      raises("ERR_INVALID_ARG_VALUE", function() dns.lookup("localhost", { hints = -1 }, cb) end)
      err = raises("ERR_INVALID_ARG_TYPE", function() dns.lookup("localhost", { hints = "x" }, cb) end)
      assert.equal([[The "options.hints" property must be of type number. Received type string ('x')]], err.message)
      raises("ERR_INVALID_ARG_TYPE", function() dns.lookup("localhost", { all = 1 }, cb) end)
      raises("ERR_INVALID_ARG_TYPE", function() dns.lookup("localhost", { verbatim = "yes" }, cb) end)
      raises("ERR_INVALID_ARG_VALUE", function() dns.lookup("localhost", { order = "random" }, cb) end)
      raises("ERR_INVALID_ARG_TYPE", function() dns.lookup("localhost", "x", cb) end)
      err = raises("ERR_INVALID_ARG_TYPE", function() dns.lookup("localhost") end)
      assert.equal('The "callback" argument must be of type function. Received undefined', err.message)
      raises("ERR_INVALID_ARG_TYPE", function() dns.lookup("localhost", {}) end)
      raises("ERR_INVALID_ARG_TYPE", function() dns.lookup("localhost", 4, "cb") end)
      helper.drain()
    end)
  end)

  describe("lookupService", function()
    it("gives 127.0.0.1:22 a host name and a service", function()
      local r = lookupService("127.0.0.1", 22)
      assert.is_nil(r[1], tostring(r[1]))
      assert.is_string(r[2])
      assert.is_true(#r[2] > 0)
      -- "ssh" from /etc/services, or the number when the file lacks it
      assert.is_true(r[3] == "ssh" or r[3] == "22", tostring(r[3]))
      local names = hostsNames("127.0.0.1")
      if #names > 0 then assert.equal(names[1], r[2]) end
      r = lookupService("127.0.0.1", "22")
      assert.is_nil(r[1], tostring(r[1]))
    end)

    it("raises at once for a bad address, port or callback, with Node's codes", function()
      local cb = function() error("called") end
      local err = raises("ERR_INVALID_ARG_VALUE", function() dns.lookupService("localhost", 22, cb) end)
      assert.equal("The argument 'address' is invalid. Received 'localhost'", err.message)
      raises("ERR_INVALID_ARG_VALUE", function() dns.lookupService("1.2.3", 22, cb) end)
      raises("ERR_INVALID_ARG_TYPE", function() dns.lookupService(127, 22, cb) end)
      for _, port in ipairs({ -1, 65536, 1.5, "ssh", true }) do
        err = raises("ERR_SOCKET_BAD_PORT", function() dns.lookupService("127.0.0.1", port, cb) end)
        assert.equal("RangeError", err.name)
      end
      err = raises("ERR_SOCKET_BAD_PORT", function() dns.lookupService("127.0.0.1", 70000, cb) end)
      assert.equal("Port should be >= 0 and < 65536. Received type number (70000).", err.message)
      raises("ERR_INVALID_ARG_TYPE", function() dns.lookupService("127.0.0.1", 22, "cb") end)
      err = raises("ERR_MISSING_ARGS", function() dns.lookupService("127.0.0.1", 22) end)
      assert.equal('The "address", "port", and "callback" arguments must be specified', err.message)
      helper.drain()
    end)
  end)

  it("has no stubs: the resolver half of Node's dns is absent", function()
    for _, name in ipairs({ "resolve", "resolve4", "resolve6", "resolveAny", "resolveMx",
        "resolveTxt", "reverse", "setServers", "getServers", "Resolver", "promises" }) do
      assert.is_nil(dns[name], name)
    end
  end)

  it("net resolves through dns.lookup (its default result order applies)", function()
    local server = net.createServer(function(s) s:done("hi") end)
    local port = helper.listen(server)
    dns.setDefaultResultOrder("ipv4first")
    local ok, err = pcall(function()
      local got, lookedUp = {}, nil
      local c = net.connect(port, "localhost")
      c:on("lookup", function(e, address, family) lookedUp = { e, address, family } end)
      c:on("data", function(d) got[#got + 1] = d end)
      local closed = false
      c:on("close", function() closed = true end)
      helper.wait(function() return closed end)
      assert.same({ nil, "127.0.0.1", 4 }, lookedUp)
      assert.equal("hi", table.concat(got))
    end)
    dns.setDefaultResultOrder("verbatim")
    helper.closeServer(server)
    assert(ok, err)
  end)
end)
