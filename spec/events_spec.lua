local ok, helper = pcall(require, "spec.helper")
local function drain() if ok and helper.drain then helper.drain() else require("luatls.tick").run() end end

local EventEmitter = require("luatls.events")

describe("events.EventEmitter", function()
  local e
  before_each(function() e = EventEmitter.new() end)

  it("is the module and its own EventEmitter field", function()
    assert.are.equal(EventEmitter, EventEmitter.EventEmitter)
    assert.are.equal("function", type(EventEmitter.new))
  end)

  describe("on / emit", function()
    it("calls listeners in order with the arguments, returns true", function()
      local log = {}
      e:on("x", function(a, b) log[#log + 1] = "1:" .. a .. b end)
      e:addListener("x", function(a, b) log[#log + 1] = "2:" .. a .. b end)
      assert.is_true(e:emit("x", "a", "b"))
      assert.are.same({ "1:ab", "2:ab" }, log)
    end)

    it("returns false when there are no listeners", function()
      assert.is_false(e:emit("nothing"))
    end)

    it("passes nil arguments through", function()
      local got
      e:on("x", function(...) got = table.pack(...) end)
      e:emit("x", nil, 2, nil)
      assert.are.equal(3, got.n)
      assert.is_nil(got[1])
      assert.are.equal(2, got[2])
    end)

    it("returns self from on/off for chaining", function()
      local f = function() end
      assert.are.equal(e, e:on("x", f))
      assert.are.equal(e, e:off("x", f))
    end)

    it("accepts any Lua value except nil as an event name", function()
      local key, hits = {}, 0
      e:on(key, function() hits = hits + 1 end)
      e:on(42, function() hits = hits + 10 end)
      e:on(true, function() hits = hits + 100 end)
      e:emit(key); e:emit(42); e:emit(true)
      assert.are.equal(111, hits)
      assert.has_error(function() e:on(nil, function() end) end)
    end)

    it("raises ERR_INVALID_ARG_TYPE at once for a listener that is not a function", function()
      local ok2, err = pcall(e.on, e, "x", "nope")
      assert.is_false(ok2)
      assert.are.equal("ERR_INVALID_ARG_TYPE", err.code)
    end)

    it("accepts callable tables as listeners", function()
      local called = false
      local callable = setmetatable({}, { __call = function(_, v) called = v end })
      e:on("x", callable)
      e:emit("x", "yes")
      assert.are.equal("yes", called)
    end)

    it("allows the same listener more than once", function()
      local n = 0
      local f = function() n = n + 1 end
      e:on("x", f); e:on("x", f)
      e:emit("x")
      assert.are.equal(2, n)
      e:off("x", f)
      e:emit("x")
      assert.are.equal(3, n)
    end)
  end)

  describe("once", function()
    it("runs a listener once", function()
      local n = 0
      e:once("x", function(v) n = n + v end)
      assert.is_true(e:emit("x", 5))
      assert.is_false(e:emit("x", 5))
      assert.are.equal(5, n)
      assert.are.equal(0, e:listenerCount("x"))
    end)

    it("is removed before it runs, so a re-emit inside it does not run it again", function()
      local n = 0
      e:once("x", function() n = n + 1; e:emit("x") end)
      e:emit("x")
      assert.are.equal(1, n)
    end)

    it("can be removed with the original function", function()
      local f = function() error("should not run") end
      e:once("x", f)
      e:removeListener("x", f)
      assert.is_false(e:emit("x"))
    end)

    it("shows the original function in listeners() and a wrapper in rawListeners()", function()
      local f = function() end
      e:once("x", f)
      assert.are.same({ f }, e:listeners("x"))
      local raw = e:rawListeners("x")
      assert.are_not.equal(f, raw[1])
      assert.are.equal(f, raw[1].listener)
    end)
  end)

  describe("prependListener / prependOnceListener", function()
    it("adds to the front", function()
      local log = {}
      e:on("x", function() log[#log + 1] = "b" end)
      e:prependListener("x", function() log[#log + 1] = "a" end)
      e:prependOnceListener("x", function() log[#log + 1] = "0" end)
      e:emit("x"); e:emit("x")
      assert.are.same({ "0", "a", "b", "a", "b" }, log)
    end)
  end)

  describe("removing and adding during emit", function()
    it("still calls a listener removed by an earlier listener in the same emit", function()
      local log = {}
      local second = function() log[#log + 1] = "second" end
      e:on("x", function() log[#log + 1] = "first"; e:off("x", second) end)
      e:on("x", second)
      e:emit("x")
      assert.are.same({ "first", "second" }, log)
      log = {}
      e:emit("x")
      assert.are.same({ "first" }, log)
    end)

    it("does not call a listener added during the emit until the next emit", function()
      local log = {}
      e:on("x", function()
        log[#log + 1] = "a"
        e:on("x", function() log[#log + 1] = "late" end)
      end)
      e:emit("x")
      assert.are.same({ "a" }, log)
      e:emit("x")
      assert.are.same({ "a", "a", "late" }, log)
    end)

    it("lets a listener remove itself", function()
      local n = 0
      local function self_removing() n = n + 1; e:off("x", self_removing) end
      e:on("x", self_removing)
      e:on("x", function() n = n + 10 end)
      e:emit("x"); e:emit("x")
      assert.are.equal(21, n)
    end)
  end)

  describe("removeListener", function()
    it("removes the most recently added instance", function()
      local log = {}
      local f = function() log[#log + 1] = "f" end
      local g = function() log[#log + 1] = "g" end
      e:on("x", f); e:on("x", g); e:on("x", f)
      e:removeListener("x", f)
      e:emit("x")
      assert.are.same({ "f", "g" }, log)
    end)

    it("ignores unknown listeners and events", function()
      e:removeListener("nope", function() end)
      e:on("x", function() end)
      e:removeListener("x", function() end)
      assert.are.equal(1, e:listenerCount("x"))
    end)
  end)

  describe("removeAllListeners", function()
    it("removes the listeners of one event", function()
      e:on("x", function() end); e:on("x", function() end); e:on("y", function() end)
      e:removeAllListeners("x")
      assert.are.equal(0, e:listenerCount("x"))
      assert.are.equal(1, e:listenerCount("y"))
      assert.are.same({ "y" }, e:eventNames())
    end)

    it("removes everything without an argument, telling 'removeListener' listeners", function()
      local removed = {}
      e:on("x", function() end)
      e:on("y", function() end)
      e:on("removeListener", function(name) removed[#removed + 1] = name end)
      e:removeAllListeners()
      -- the last 'removeListener' listener is gone before it could hear of itself
      assert.are.same({ "x", "y" }, removed)
      assert.are.same({}, e:eventNames())
    end)
  end)

  describe("'newListener' and 'removeListener' events", function()
    it("emits 'newListener' before adding, with the original function", function()
      local seen = {}
      local f = function() end
      e:on("newListener", function(name, listener)
        seen[#seen + 1] = { name, listener, e:listenerCount(name) }
      end)
      e:once("x", f)
      assert.are.equal("x", seen[1][1])
      assert.are.equal(f, seen[1][2])
      assert.are.equal(0, seen[1][3]) -- not added yet
    end)

    it("emits 'removeListener' after removing, also for once listeners that fire", function()
      local seen = {}
      local f = function() end
      e:on("removeListener", function(name, listener)
        seen[#seen + 1] = { name, listener, e:listenerCount(name) }
      end)
      e:once("x", f)
      e:emit("x")
      assert.are.equal(1, #seen)
      assert.are.equal("x", seen[1][1])
      assert.are.equal(f, seen[1][2])
      assert.are.equal(0, seen[1][3])
    end)
  end)

  describe("'error'", function()
    it("raises an error object given as the argument when there is no listener", function()
      local boom = require("luatls.errors").new("EBOOM", "boom")
      local ok2, err = pcall(e.emit, e, "error", boom)
      assert.is_false(ok2)
      assert.are.equal(boom, err)
    end)

    it("wraps a non-table argument in ERR_UNHANDLED_ERROR", function()
      local ok2, err = pcall(e.emit, e, "error", "boom")
      assert.is_false(ok2)
      assert.are.equal("ERR_UNHANDLED_ERROR", err.code)
      assert.are.equal("Unhandled error. ('boom')", err.message)
      assert.are.equal("boom", err.context)
      local _, err2 = pcall(e.emit, e, "error")
      assert.are.equal("Unhandled error. (nil)", err2.message)
    end)

    it("goes to listeners when there are some", function()
      local got
      e:on("error", function(err) got = err end)
      assert.is_true(e:emit("error", "boom"))
      assert.are.equal("boom", got)
    end)

    it("tells errorMonitor listeners first, which do not count as handling it", function()
      local seen
      e:on(EventEmitter.errorMonitor, function(err) seen = err end)
      assert.has_error(function() e:emit("error", { message = "x" }) end)
      assert.are.same({ message = "x" }, seen)
    end)
  end)

  describe("introspection", function()
    it("listenerCount, listeners (a copy), eventNames in insertion order", function()
      local f, g = function() end, function() end
      e:on("b", f); e:on("a", g); e:on("b", g)
      assert.are.equal(2, e:listenerCount("b"))
      assert.are.equal(1, e:listenerCount("b", g))
      assert.are.equal(0, e:listenerCount("zzz"))
      local copy = e:listeners("b")
      assert.are.same({ f, g }, copy)
      copy[1] = nil
      assert.are.equal(2, e:listenerCount("b"))
      assert.are.same({ "b", "a" }, e:eventNames())
      e:off("b", f); e:off("b", g)
      assert.are.same({ "a" }, e:eventNames())
    end)
  end)

  describe("max listeners", function()
    local saved, warnings
    before_each(function()
      saved = EventEmitter.emitWarning
      warnings = {}
      EventEmitter.emitWarning = function(w) warnings[#warnings + 1] = w end
    end)
    after_each(function() EventEmitter.emitWarning = saved end)

    it("defaults to 10 and warns once (not an error) past the limit", function()
      assert.are.equal(10, e:getMaxListeners())
      for _ = 1, 10 do e:on("x", function() end) end
      assert.are.equal(0, #warnings)
      e:on("x", function() end)
      e:on("x", function() end)
      assert.are.equal(1, #warnings)
      local w = warnings[1]
      assert.are.equal("MaxListenersExceededWarning", w.name)
      assert.matches("Possible EventEmitter memory leak detected. 11 x listeners added to %[EventEmitter%]. " ..
        "MaxListeners is 10.", w.message)
      assert.are.equal(11, w.count)
      assert.are.equal(e, w.emitter)
      assert.are.equal(12, e:listenerCount("x"))
    end)

    it("setMaxListeners changes the limit; 0 means unlimited", function()
      assert.are.equal(e, e:setMaxListeners(1))
      assert.are.equal(1, e:getMaxListeners())
      e:on("x", function() end)
      e:on("x", function() end)
      assert.are.equal(1, #warnings)
      e:setMaxListeners(0)
      for _ = 1, 20 do e:on("y", function() end) end
      assert.are.equal(1, #warnings)
      assert.has_error(function() e:setMaxListeners(-1) end)
    end)

    it("prints the warning to stderr by default", function()
      EventEmitter.emitWarning = saved
      local real = io.stderr
      local buf = {}
      local process = package.loaded["luatls.process"]
      package.loaded["luatls.process"] = nil -- no process.emitWarning: the plain stderr path
      -- luacheck: push ignore 122
      io.stderr = { write = function(_, s) buf[#buf + 1] = s end }
      local ok2, err = pcall(function()
        e:setMaxListeners(1)
        e:on("x", function() end)
        e:on("x", function() end)
      end)
      io.stderr = real
      -- luacheck: pop
      package.loaded["luatls.process"] = process
      assert(ok2, err)
      assert.matches("MaxListenersExceededWarning: Possible EventEmitter memory leak detected", table.concat(buf))
    end)
  end)

  describe("subclassing", function()
    it("extend makes a class whose instances inherit methods and run init", function()
      local Sub = EventEmitter:extend("Sub")
      function Sub:init(name)
        EventEmitter.init(self)
        self.name = name
      end
      function Sub:hello() self:emit("hello", self.name) end
      local s = Sub.new("bob")
      local got
      s:on("hello", function(n) got = n end)
      s:hello()
      assert.are.equal("bob", got)
      assert.is_true(EventEmitter.instanceOf(s, Sub))
      assert.is_true(EventEmitter.instanceOf(s, EventEmitter))
      assert.is_false(EventEmitter.instanceOf(e, Sub))
      assert.matches("^Sub: ", tostring(s))
    end)

    it("a subclass of a subclass can override methods and call the parent's", function()
      local A = EventEmitter:extend("A")
      function A.greet() return "A" end
      local B = A:extend("B")
      function B:greet() return "B>" .. A.greet(self) end
      assert.are.equal("B>A", B.new():greet())
    end)

    it("keeps listener storage private so public fields are free", function()
      local Sub = EventEmitter:extend("Sub2")
      local s = Sub.new()
      s.events = "mine"; s.listeners2 = 1
      s:on("x", function() end)
      assert.are.equal(1, s:listenerCount("x"))
      assert.are.equal("mine", s.events)
    end)

    it("works with an instance whose init was not called", function()
      local Sub = EventEmitter:extend("Lazy")
      function Sub.init() end -- forgot EventEmitter.init
      local s = Sub.new()
      local n = 0
      s:on("x", function() n = n + 1 end)
      s:emit("x")
      assert.are.equal(1, n)
    end)

    it("supports properties with defineProperty", function()
      local Sub = EventEmitter:extend("Prop")
      EventEmitter.defineProperty(Sub, "double", function(self) return self._v * 2 end,
        function(self, v) self._v = v end)
      EventEmitter.defineProperty(Sub, "fixed", function() return 7 end)
      local s = Sub.new()
      s.double = 4
      assert.are.equal(8, s.double)
      assert.are.equal(7, s.fixed)
      assert.has_error(function() s.fixed = 1 end)
      local Sub2 = Sub:extend("Prop2")
      local s2 = Sub2.new()
      s2.double = 1
      assert.are.equal(2, s2.double) -- inherited
    end)
  end)

  it("does not defer anything (emit is synchronous)", function()
    local n = 0
    e:on("x", function() n = n + 1 end)
    e:emit("x")
    assert.are.equal(1, n)
    drain()
    assert.are.equal(1, n)
  end)

  it("every class is callable as Node's new: Class(...) is Class.new(...), subclasses too", function()
    local Point = EventEmitter:extend("Point")
    function Point:init(x, y) EventEmitter.init(self); self.x, self.y = x, y end
    local Point3 = Point:extend("Point3")
    function Point3:init(x, y, z) Point.init(self, x, y); self.z = z end
    local p, q = Point(1, 2), Point3(1, 2, 3)
    assert.is_true(EventEmitter.instanceOf(p, Point))
    assert.same({ 1, 2 }, { p.x, p.y })
    assert.is_true(EventEmitter.instanceOf(q, Point) and EventEmitter.instanceOf(q, Point3))
    assert.same({ 1, 2, 3 }, { q.x, q.y, q.z })
    assert.is_true(EventEmitter.instanceOf(EventEmitter(), EventEmitter))
    -- the runtime's own classes
    local crypto = require("luatls.crypto")
    local pem = require("luatls.fs").readFileSync(require("spec.certs").path("server-cert.pem"))
    assert.equal("CN=localhost", crypto.X509Certificate(pem).subject:match("CN=[^\n]*"))
    assert.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      crypto.Hash("sha256"):update("abc"):digest("hex"))
    local net = require("luatls.net")
    local s = require("luatls.tls").TLSSocket(net.Socket())
    assert.is_true(s.encrypted)
    s:destroy()
  end)
  it("Class.adopt(obj, ...) makes a table of one's own an instance, as new(...) does", function()
    local Point = EventEmitter:extend("Point")
    function Point:init(x) EventEmitter.init(self); self.x = x end
    EventEmitter.defineProperty(Point, "double", function(self) return self.x * 2 end)
    local t = {}
    assert.equal(t, Point.adopt(t, 21))
    assert.equal(Point, getmetatable(t))
    assert.is_true(EventEmitter.instanceOf(t, Point))
    assert.equal(42, t.double)
    local heard
    t:on("x", function(v) heard = v end)
    t:emit("x", 1)
    assert.equal(1, heard)
  end)
  it("instances after the first are made the size the first grew to (core.table_new)", function()
    local core = require("luatls.core")
    local t = core.table_new(2, 8)
    assert.is_nil(next(t))
    t[1], t.x = "a", "b"
    assert.same({ "a", x = "b" }, t)
    assert.has_error(function() core.table_new(-1, 0) end)
    assert.has_error(function() core.table_new(0, 1 << 30) end)
    local Bag = EventEmitter:extend("Bag")
    function Bag:init(n) EventEmitter.init(self); for i = 1, n do self["f" .. i] = i end end
    local first, small, big = Bag(3), Bag(1), Bag(40)
    assert.same({ 1, 2, 3 }, { first.f1, first.f2, first.f3 })
    assert.same({ 1 }, { small.f1, small.f2 })
    assert.equal(40, big.f40)
    assert.is_true(EventEmitter.instanceOf(big, Bag))
  end)
end)
