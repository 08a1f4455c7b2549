-- luatls.identity: tls.checkServerIdentity(hostname, cert), with the rules
-- and messages of Node 20's lib/tls.js.
--
--   local err = identity.checkServerIdentity("localhost", socket:getPeerCertificate())
--   -- nil when the certificate is for that host, else an error object
--   -- { code = "ERR_TLS_CERT_ALTNAME_INVALID", reason =, host =, cert = }
--
-- - DNS names come from the subjectaltname's "DNS:" entries; the subject's CN
--   is used only when there are none (and never for IP addresses).
-- - Matching ignores ASCII case and one trailing dot. A wildcard stands for
--   (part of) the left-most label only: "*.example.com" matches
--   "a.example.com", not "example.com" nor "a.b.example.com"; partial
--   wildcards ("f*.example.com", "*o.example.com") match as in Node; "*.com"
--   (a wildcard over a two-label name), two wildcards, and labels with "xn--"
--   never match by wildcard.
-- - An IP address matches only "IP Address:" entries, compared in canonical
--   form (so "::1" matches "0:0:0:0:0:0:0:1").
local errors = require("luatls.errors")
local core = require("luatls.core")

local M = {}

-- Node's canonicalizeIP / net.isIP: the address as inet_ntop writes it, or nil
local function canonicalIP(s)
  return (core.x509_canonical_ip(s))
end

local function unfqdn(host)
  return (host:gsub("%.$", ""))
end

-- split on ".", keeping empty parts as JavaScript's split does
local function split(s, sep, limit)
  local parts = {}
  local start = 1
  while true do
    if limit and #parts == limit - 1 then
      parts[#parts + 1] = s:sub(start)
      -- JavaScript's limit drops the rest instead; only the count matters here
      return parts
    end
    local i = s:find(sep, start, true)
    if not i then
      parts[#parts + 1] = s:sub(start)
      return parts
    end
    parts[#parts + 1] = s:sub(start, i - 1)
    start = i + #sep
  end
end

-- lower-case A-Z only (not locale dependent), drop one trailing dot, split
local function splitHost(host)
  host = unfqdn(host):gsub("[A-Z]", function(c) return string.char(c:byte() + 32) end)
  return split(host, ".")
end

local function check(hostParts, pattern, wildcards)
  -- empty strings, nil, ... never match
  if type(pattern) ~= "string" or pattern == "" then return false end
  local patternParts = splitHost(pattern)
  if #hostParts ~= #patternParts then return false end
  for _, part in ipairs(patternParts) do
    -- empty labels ("bad..example.com"), blanks, controls and non-ASCII
    if part == "" or part:find("[^\33-\127]") then return false end
  end
  -- all but the left-most label must be equal
  for i = #hostParts, 2, -1 do
    if hostParts[i] ~= patternParts[i] then return false end
  end
  local hostSubdomain = hostParts[1]
  local patternSubdomain = patternParts[1]
  local pieces = split(patternSubdomain, "*", 3)
  -- no wildcard, or an IDNA A-label: verbatim
  if #pieces == 1 or patternSubdomain:find("xn--", 1, true) then
    return hostSubdomain == patternSubdomain
  end
  if not wildcards then return false end
  -- more than one wildcard is always wrong
  if #pieces > 2 then return false end
  -- *.tld wildcards are not allowed
  if #patternParts <= 2 then return false end
  local prefix, suffix = pieces[1], pieces[2]
  if #prefix + #suffix > #hostSubdomain then return false end
  if hostSubdomain:sub(1, #prefix) ~= prefix then return false end
  if #suffix > 0 and hostSubdomain:sub(-#suffix) ~= suffix then return false end
  return true
end

-- JSON.parse of a string literal at s[i] (a '"'); returns value, next index
local function jsonString(s, i)
  local out = {}
  local j = i + 1
  while true do
    local c = s:sub(j, j)
    if c == "" then return nil end
    if c == '"' then return table.concat(out), j + 1 end
    if c:byte() < 32 then return nil end
    if c == "\\" then
      local e = s:sub(j + 1, j + 1)
      local simple = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f",
                       n = "\n", r = "\r", t = "\t" }
      if simple[e] then
        out[#out + 1] = simple[e]
        j = j + 2
      elseif e == "u" and s:sub(j + 2, j + 5):match("^%x%x%x%x$") then
        local cp = tonumber(s:sub(j + 2, j + 5), 16)
        -- a surrogate pair
        if cp >= 0xD800 and cp <= 0xDBFF and s:sub(j + 6, j + 7) == "\\u" then
          local lo = tonumber(s:sub(j + 8, j + 11):match("^%x%x%x%x$") or "", 16)
          if lo and lo >= 0xDC00 and lo <= 0xDFFF then
            cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
            j = j + 6
          end
        end
        out[#out + 1] = utf8.char(cp)
        j = j + 6
      else
        return nil
      end
    else
      out[#out + 1] = c
      j = j + 1
    end
  end
end

-- Node's splitEscapedAltNames: "DNS:a, DNS:\"b, c\"" -> { "DNS:a", "DNS:b, c" }
local function splitEscapedAltNames(altNames)
  local result = {}
  local current = ""
  local offset = 1
  while offset <= #altNames do
    local nextSep = altNames:find(", ", offset, true)
    local nextQuote = altNames:find('"', offset, true)
    if nextQuote and (not nextSep or nextQuote < nextSep) then
      -- a quote, and no separator before it
      current = current .. altNames:sub(offset, nextQuote - 1)
      local value, after = jsonString(altNames, nextQuote)
      if not value then
        error(errors.new("ERR_TLS_CERT_ALTNAME_FORMAT",
          "Invalid subject alternative name string", { name = "SyntaxError" }), 3)
      end
      current = current .. value
      offset = after
    elseif nextSep then
      current = current .. altNames:sub(offset, nextSep - 1)
      result[#result + 1] = current
      current = ""
      offset = nextSep + 2
    else
      current = current .. altNames:sub(offset)
      offset = #altNames + 1
    end
  end
  result[#result + 1] = current
  return result
end

local function truthy(v) return v ~= nil and v ~= false and v ~= "" and v ~= 0 end

-- JavaScript's `${v}` for the values a CN can be
local function jsString(v)
  if type(v) == "table" then
    local t = {}
    for i, x in ipairs(v) do t[i] = tostring(x) end
    return table.concat(t, ",")
  end
  if v == nil then return "undefined" end
  return tostring(v)
end

function M.checkServerIdentity(hostname, cert)
  cert = cert or {}
  local subject = cert.subject
  local altNames = cert.subjectaltname
  local dnsNames = {}
  local ips = {}

  hostname = hostname == nil and "undefined" or tostring(hostname)

  if truthy(altNames) then
    altNames = tostring(altNames)
    local names = altNames:find('"', 1, true) and splitEscapedAltNames(altNames)
      or split(altNames, ", ")
    for _, name in ipairs(names) do
      if name:sub(1, 4) == "DNS:" then
        dnsNames[#dnsNames + 1] = name:sub(5)
      elseif name:sub(1, 11) == "IP Address:" then
        -- not an address: false (JavaScript's undefined, printed as "")
        ips[#ips + 1] = canonicalIP(name:sub(12)) or false
      end
    end
  end

  local valid = false
  local reason = "Unknown reason"

  hostname = unfqdn(hostname) -- no trailing dot in messages either

  local ip = canonicalIP(hostname)
  local cn = type(subject) == "table" and subject.CN or nil
  if ip then
    local shown = {}
    for i, v in ipairs(ips) do
      if v == ip then valid = true end
      shown[i] = v or ""
    end
    if not valid then
      reason = string.format("IP: %s is not in the cert's list: %s", hostname,
        table.concat(shown, ", "))
    end
  elseif #dnsNames > 0 or truthy(cn) then
    local hostParts = splitHost(hostname)
    if #dnsNames > 0 then
      for _, pattern in ipairs(dnsNames) do
        if check(hostParts, pattern, true) then valid = true; break end
      end
      if not valid then
        reason = string.format("Host: %s. is not in the cert's altnames: %s", hostname, altNames)
      end
    else
      -- the Common Name, only when the certificate has no DNS names
      if type(cn) == "table" then
        for _, pattern in ipairs(cn) do
          if check(hostParts, pattern, true) then valid = true; break end
        end
      else
        valid = check(hostParts, cn, true)
      end
      if not valid then
        reason = string.format("Host: %s. is not cert's CN: %s", hostname, jsString(cn))
      end
    end
  else
    reason = "Cert does not contain a DNS name"
  end

  if not valid then
    return errors.new("ERR_TLS_CERT_ALTNAME_INVALID",
      "Hostname/IP does not match certificate's altnames: " .. reason,
      { reason = reason, host = hostname, cert = cert })
  end
  return nil
end

return M
