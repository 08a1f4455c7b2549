-- luatls.events: Node's EventEmitter.
--
--   local EventEmitter = require("luatls.events")   -- the class itself
--   local e = EventEmitter.new()
--   e:on("greet", function(who) print("hello " .. who) end)
--   e:emit("greet", "world")                          --> true
--
-- Listeners are called with the emitted arguments only (there is no `this`:
-- close over the emitter if you need it). Event names may be any Lua value
-- except nil.
--
-- Classes and subclassing
-- -----------------------
-- Every class made here (EventEmitter and its descendants) has:
--
--   Parent:extend([name])   a new subclass of Parent; `name` (a string) is what
--                           tostring() and warnings call instances. `name` may
--                           also be a table of methods, which becomes the class.
--   Class.new(...)          a new instance: setmetatable({}, Class) then
--                           instance:init(...).
--   Class:init(...)         the constructor body; a subclass's init must call
--                           its parent's init first.
--
--   local Socket = EventEmitter:extend("Socket")
--   function Socket:init(options)
--     EventEmitter.init(self)
--     self.connecting = false
--   end
--   function Socket:connect(port) ... self:emit("connect") end
--   local s = Socket.new({})   -- or Socket({}): Node's `new Socket({})`
--
-- The class table is the instances' metatable; its __index and __newindex are
-- functions (they implement properties, below), so do not replace them.
-- Metamethods such as __tostring, __close and __gc are copied to a subclass
-- when it is made.
--
-- Properties (Node's getters, e.g. stream.readableLength) are defined with
--   EventEmitter.defineProperty(Class, "name", getter[, setter])
-- where getter(self) returns the value and setter(self, value) stores it. They
-- are inherited. Assigning to a property that has only a getter raises.
--
-- EventEmitter.class(parent, name) is the same as parent:extend(name), and
-- EventEmitter.instanceOf(obj, Class) tells whether obj is an instance of Class
-- or of one of its subclasses.
--
-- Listener storage is private (self._events, self._eventNames,
-- self._maxListeners) so subclasses may use any public field name.
local errors = require("luatls.errors")
-- (a table with room for n fields; plain {} when the C core is absent)
local core_ok, core = pcall(require, "luatls.core")
local tableNew = core_ok and core.table_new or function() return {} end

-- Metamethods a subclass inherits from its parent when it is made.
local METAMETHODS = { "__tostring", "__close", "__gc", "__eq", "__lt", "__le", "__concat", "__len" }

local function class(parent, name)
  local cls = type(name) == "table" and name or {}
  if type(name) == "string" then cls.__name = name end
  if rawget(cls, "__name") == nil then
    cls.__name = parent and parent.__name or "Object"
  end
  cls.__parent = parent

  local parentGetters = parent and rawget(parent, "__getters")
  local parentSetters = parent and rawget(parent, "__setters")
  local getters = setmetatable({}, parentGetters and { __index = parentGetters } or nil)
  local setters = setmetatable({}, parentSetters and { __index = parentSetters } or nil)
  cls.__getters, cls.__setters = getters, setters

  -- Class(...) is Class.new(...), as Node's `new Class(...)`
  local meta = { __call = function(c, ...) return c.new(...) end }
  if parent then
    for _, mm in ipairs(METAMETHODS) do
      if rawget(cls, mm) == nil and parent[mm] ~= nil then cls[mm] = parent[mm] end
    end
    meta.__index = parent
  end
  setmetatable(cls, meta)

  -- Instance lookups: methods and class fields first, then properties.
  cls.__index = function(obj, key)
    local v = cls[key]
    if v ~= nil then return v end
    local get = getters[key]
    if get then return get(obj) end
    return nil
  end

  cls.__newindex = function(obj, key, value)
    local set = setters[key]
    if set then return set(obj, value) end
    if getters[key] then
      errors.throw("ERR_INVALID_ARG_VALUE",
        string.format("Cannot set property %s of %s which has only a getter",
          tostring(key), tostring(cls.__name)), { name = "TypeError" })
    end
    rawset(obj, key, value)
  end

  -- While init runs, the instance has a metatable like cls's but without
  -- __newindex: its fields are set straight, not one Lua call each (init
  -- code never assigns a property that has a setter or only a getter). It
  -- is made at the first new(), from the metamethods cls has by then.
  local building
  local function makeBuilding()
    building = {}
    for k, v in pairs(cls) do
      if type(k) == "string" and k:sub(1, 2) == "__" then building[k] = v end
    end
    building.__newindex, building.__implements = nil, nil
    building.__parent = cls -- instanceOf(obj, cls) holds during init too
  end
  -- Instances are made the size the first one grew to by the end of its
  -- init (fields added one by one grow a table through every power of
  -- two, each time rehashing what it holds).
  local size
  function cls.new(...)
    if building == nil then makeBuilding() end
    if size == nil then
      local obj = setmetatable({}, building)
      obj:init(...)
      size = 0
      for _ in next, obj do size = size + 1 end
      return setmetatable(obj, cls)
    end
    local obj = setmetatable(tableNew(0, size), building)
    obj:init(...)
    return setmetatable(obj, cls)
  end

  -- Class.adopt(obj, ...): what new(...) does, on a table of the caller's
  -- that has no fields and no (or an unprotected) metatable: for objects
  -- that become instances late (the http server's lazy requests)
  function cls.adopt(obj, ...)
    if building == nil then makeBuilding() end
    setmetatable(obj, building)
    obj:init(...)
    return setmetatable(obj, cls)
  end

  return cls
end

local function defineProperty(cls, key, getter, setter)
  rawget(cls, "__getters")[key] = getter
  if setter then rawget(cls, "__setters")[key] = setter end
end

local function instanceOf(obj, cls)
  if type(obj) ~= "table" then return false end
  local c = getmetatable(obj)
  while type(c) == "table" do
    if c == cls then return true end
    local also = rawget(c, "__implements") -- e.g. Duplex also counts as a Writable
    if also then
      for _, other in ipairs(also) do
        if other == cls then return true end
      end
    end
    c = rawget(c, "__parent")
  end
  return false
end

local EventEmitter = class(nil, "EventEmitter")
EventEmitter.EventEmitter = EventEmitter
EventEmitter.class = class
-- mixin(cls, other): cls also is an `other` (instanceOf(obj, other) holds
-- for its instances) and gets other's methods and properties that cls and
-- its parents do not define (how a Duplex is also a Writable). Metamethods
-- (__x) are not copied.
local function mixin(cls, other)
  for key, value in pairs(other) do
    if type(value) == "function" and cls[key] == nil and not key:match("^__") then cls[key] = value end
  end
  local getters, setters = rawget(other, "__getters"), rawget(other, "__setters")
  for key, getter in pairs(getters) do
    if rawget(rawget(cls, "__getters"), key) == nil then defineProperty(cls, key, getter, setters[key]) end
  end
  local also = rawget(cls, "__implements") or {}
  also[#also + 1] = other
  rawset(cls, "__implements", also)
end

EventEmitter.defineProperty = defineProperty
EventEmitter.instanceOf = instanceOf
EventEmitter.mixin = mixin

function EventEmitter.extend(parent, name)
  return class(parent, name)
end

-- Node's events.defaultMaxListeners; 0 or math.huge means no limit.
EventEmitter.defaultMaxListeners = 10

-- Node's events.errorMonitor: listeners for this key see every 'error' event
-- before the regular 'error' listeners, and do not count as handling it.
EventEmitter.errorMonitor = setmetatable({}, { __tostring = function() return "events.errorMonitor" end })
local errorMonitor = EventEmitter.errorMonitor

-- Where warnings go: process.emitWarning when luatls.process is loaded and
-- has one, else one line on stderr, as Node prints it. Replaceable (tests do).
function EventEmitter.emitWarning(warning)
  local process = package.loaded["luatls.process"]
  if type(process) == "table" and type(rawget(process, "emitWarning")) == "function" then
    return process.emitWarning(warning)
  end
  local pid = type(process) == "table" and rawget(process, "pid")
  io.stderr:write(string.format("(luatls%s) %s: %s\n", pid and (":" .. tostring(pid)) or "",
    warning.name, warning.message))
end

-- A `once` wrapper: callable, remembers the original listener.
local Once = {}
Once.__index = Once
function Once.__call(w, ...)
  if w.fired then return end
  w.fired = true
  w.target:removeListener(w.type, w)
  if w.passTarget then return w.listener(w.target, ...) end
  return w.listener(...)
end

local function isCallable(v)
  if type(v) == "function" then return true end
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__call ~= nil
end

local function checkListener(listener)
  if type(listener) ~= "function" and not isCallable(listener) then
    errors.invalidArgType("listener", "of type function", listener, 3)
  end
end

local function checkName(name)
  if name == nil or name ~= name then -- nil and NaN cannot be table keys
    errors.invalidArgType("eventName", "a value other than nil or NaN", name, 3)
  end
end

-- The listener a user added, seen through a `once` wrapper.
local function unwrap(entry)
  if type(entry) == "table" and getmetatable(entry) == Once then return entry.listener end
  return entry
end

-- self._events[name] is, as in Node, the listener itself while there is
-- one; from the second listener on it is a list of them, a Listeners table.
-- Either way emit() just calls it: calling a list calls its listeners in
-- order. A list is never modified in place: adding or removing makes a new
-- list (or goes back to the one listener). emit() therefore walks a snapshot
-- for free, and listeners added or removed during an emit take effect from
-- the next emit.
local Listeners = {}
function Listeners.__call(list, ...)
  for i = 1, #list do
    list[i](...)
  end
end

local function newList(...)
  return setmetatable({ ... }, Listeners)
end

-- The listeners of one event as an array (a new one when there is one).
local function asList(entry)
  if entry == nil then return {} end
  if getmetatable(entry) ~= Listeners then return { entry } end
  return entry
end

local function ensure(self)
  local events = rawget(self, "_events")
  if events == nil then
    events = {}
    self._events = events
    self._eventNames = {}
  end
  return events
end

local function forgetName(self, name)
  local names = self._eventNames
  for i = 1, #names do
    if names[i] == name then
      table.remove(names, i)
      return
    end
  end
end

function EventEmitter:init()
  self._events = {}
  self._eventNames = {}
  self._maxListeners = nil
end

function EventEmitter:setMaxListeners(n)
  if type(n) ~= "number" or n < 0 or n ~= n then
    errors.outOfRange("n", "a non-negative number", n)
  end
  self._maxListeners = n
  return self
end

function EventEmitter:getMaxListeners()
  return rawget(self, "_maxListeners") or EventEmitter.defaultMaxListeners
end

local function warnIfTooMany(self, name, count)
  local max = self:getMaxListeners()
  if max <= 0 or count <= max then return end
  local warned = rawget(self, "_warned")
  if warned == nil then
    warned = {}
    self._warned = warned
  end
  if warned[name] then return end
  warned[name] = true
  local className = tostring((getmetatable(self) or {}).__name or "EventEmitter")
  EventEmitter.emitWarning(errors.new(nil, string.format(
    "Possible EventEmitter memory leak detected. %d %s listeners added to [%s]. " ..
    "MaxListeners is %s. Use emitter:setMaxListeners() to increase limit",
    count, tostring(name), className, tostring(max)), {
      name = "MaxListenersExceededWarning", emitter = self, type = name, count = count,
    }))
end

-- (the checks and ensure() are called only when needed: a stream adds and
-- removes a dozen listeners per connection)
local function addListener(self, name, listener, prepend)
  if name == nil or name ~= name then checkName(name) end
  if type(listener) ~= "function" then checkListener(listener) end
  local events = rawget(self, "_events") or ensure(self)
  -- 'newListener' is emitted before the listener is added.
  if events.newListener ~= nil then
    self:emit("newListener", name, unwrap(listener))
    events = ensure(self)
  end
  local entry = events[name]
  if entry == nil then
    events[name] = listener
    local names = self._eventNames
    names[#names + 1] = name
    return self
  end
  local new
  if getmetatable(entry) ~= Listeners then
    new = prepend and newList(listener, entry) or newList(entry, listener)
  else
    local n = #entry
    new = table.move(entry, 1, n, prepend and 2 or 1, newList())
    new[prepend and 1 or n + 1] = listener
  end
  events[name] = new
  local n = #new
  if n > EventEmitter.defaultMaxListeners or rawget(self, "_maxListeners") then warnIfTooMany(self, name, n) end
  return self
end

function EventEmitter:on(name, listener)
  return addListener(self, name, listener, false)
end
EventEmitter.addListener = EventEmitter.on

function EventEmitter:prependListener(name, listener)
  return addListener(self, name, listener, true)
end

local function onceWrapper(self, name, listener)
  checkListener(listener)
  return setmetatable({ target = self, type = name, listener = listener, fired = false }, Once)
end

function EventEmitter:once(name, listener)
  return self:on(name, onceWrapper(self, name, listener))
end

-- _onceWithTarget(name, listener): once(), with the emitter as listener's
-- first argument (for a class's callbacks such as connect's, which Lua code
-- needs to reach the object it is being assigned to); removeListener(name,
-- listener) still finds it.
function EventEmitter:_onceWithTarget(name, listener)
  local w = onceWrapper(self, name, listener)
  w.passTarget = true
  return self:on(name, w)
end

function EventEmitter:prependOnceListener(name, listener)
  return self:prependListener(name, onceWrapper(self, name, listener))
end

-- Removes the most recently added instance of `listener` (or of a `once`
-- wrapper around it), then emits 'removeListener'.
function EventEmitter:removeListener(name, listener)
  if name == nil or name ~= name then checkName(name) end
  if type(listener) ~= "function" then checkListener(listener) end
  local events = rawget(self, "_events")
  local entry = events and events[name]
  if entry == nil then return self end
  local removed
  if getmetatable(entry) ~= Listeners then
    if entry ~= listener and unwrap(entry) ~= listener then return self end
    removed = entry
    events[name] = nil
    forgetName(self, name)
  else
    local n, pos = #entry, nil
    for i = n, 1, -1 do
      local e = entry[i]
      if e == listener or (type(e) == "table" and unwrap(e) == listener) then
        pos = i
        break
      end
    end
    if pos == nil then return self end
    removed = entry[pos]
    if n == 2 then
      events[name] = entry[3 - pos] -- back to the one listener
    else
      local new = table.move(entry, 1, pos - 1, 1, newList())
      table.move(entry, pos + 1, n, pos, new)
      events[name] = new
    end
  end
  if events.removeListener ~= nil then
    self:emit("removeListener", name, unwrap(removed))
  end
  return self
end
EventEmitter.off = EventEmitter.removeListener

-- With no name, removes every listener of every event. 'removeListener'
-- listeners are told about each removal (and are removed last).
function EventEmitter:removeAllListeners(name)
  local events = rawget(self, "_events")
  if events == nil then return self end
  if events.removeListener == nil then
    if name == nil then
      self._events = {}
      self._eventNames = {}
    elseif events[name] ~= nil then
      events[name] = nil
      forgetName(self, name)
    end
    return self
  end
  if name == nil then
    local names = table.move(self._eventNames, 1, #self._eventNames, 1, {})
    for _, n in ipairs(names) do
      if n ~= "removeListener" then self:removeAllListeners(n) end
    end
    self:removeAllListeners("removeListener")
    self._events = {}
    self._eventNames = {}
    return self
  end
  local list = asList(events[name])
  for i = #list, 1, -1 do self:removeListener(name, list[i]) end
  return self
end

local function unhandled(err)
  if type(err) == "table" or type(err) == "userdata" then error(err, 0) end
  local shown = type(err) == "string" and ("'" .. err .. "'") or tostring(err)
  error(errors.new("ERR_UNHANDLED_ERROR", string.format("Unhandled error. (%s)", shown),
    { context = err }), 0)
end

-- Calls every listener of `name`, in order, with the arguments. Returns true
-- when there was at least one listener. An 'error' event without a listener
-- raises its argument.
function EventEmitter:emit(name, ...)
  if name == nil or name ~= name then checkName(name) end
  local events = self._events -- (not rawget: nil all the same without one, and emit runs per chunk)
  local entry = events and events[name]
  if name == "error" then
    if events and events[errorMonitor] then self:emit(errorMonitor, ...) end
    if entry == nil then unhandled((...)) end
  end
  if entry == nil then return false end
  entry(...) -- the listener, or the Listeners list
  return true
end

-- With a listener, counts only that listener.
function EventEmitter:listenerCount(name, listener)
  local events = self._events -- (as in emit)
  local entry = events and events[name]
  if entry == nil then return 0 end
  if getmetatable(entry) ~= Listeners then
    return (listener == nil or entry == listener or unwrap(entry) == listener) and 1 or 0
  end
  if listener == nil then return #entry end
  local count = 0
  for i = 1, #entry do
    if entry[i] == listener or unwrap(entry[i]) == listener then count = count + 1 end
  end
  return count
end

-- A copy of the listeners; `once` listeners appear as the function given.
function EventEmitter:listeners(name)
  local events = rawget(self, "_events")
  local list = asList(events and events[name])
  local out = {}
  for i = 1, #list do out[i] = unwrap(list[i]) end
  return out
end

-- A copy of the listeners including `once` wrappers (callable tables with a
-- `listener` field); calling a wrapper removes it, as in Node.
function EventEmitter:rawListeners(name)
  local events = rawget(self, "_events")
  local list = asList(events and events[name])
  return table.move(list, 1, #list, 1, {})
end

-- Names with listeners, in the order they were first added.
function EventEmitter:eventNames()
  local names = rawget(self, "_eventNames")
  return names and table.move(names, 1, #names, 1, {}) or {}
end

return EventEmitter
