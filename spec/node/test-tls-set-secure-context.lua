-- Node v20.11.1 test/parallel/test-tls-set-secure-context.js, ported
-- (doc/node-tests.md): server:setSecureContext() changes the certificate for new connections only,
-- over https: a response begun before goes on, requests after a change see the new certificate.
local common = require("spec.node.common")
local assert = require("spec.node.assert")
local fixtures = common.fixtures
local async = require("luatls.async")

describe("test-tls-set-secure-context", function()
  it("runs as in Node", common.run(function()
    local https = require("luatls.https")

    local credentialOptions = {
      {
        key = fixtures.readKey("agent1-key.pem"),
        cert = fixtures.readKey("agent1-cert.pem"),
        ca = fixtures.readKey("ca1-cert.pem"),
      },
      {
        key = fixtures.readKey("agent2-key.pem"),
        cert = fixtures.readKey("agent2-cert.pem"),
        ca = fixtures.readKey("ca2-cert.pem"),
      },
    }
    local firstResponse

    local server = https.createServer(credentialOptions[1], function(req, res)
      local id = tonumber(req.headers.id)
      if id == 1 then
        firstResponse = res
        firstResponse:write("multi-")
        return
      elseif id == 4 then
        firstResponse:write("success-")
      end
      res:done("success")
    end)

    -- Node's async makeRequest: run inside a task, returns the body
    local function makeRequest(port, id)
      local options = {
        rejectUnauthorized = true,
        ca = credentialOptions[1].ca,
        servername = "agent1",
        headers = { id = id },
        agent = https.Agent.new(),
      }
      local req = https.get("https://localhost:" .. port, options)
      local errored = false
      req:on("error", function() errored = true end)
      req:on("finish", function() assert.strictEqual(errored, false) end)
      local res = async.once(req, "response")
      res:setEncoding("utf8")
      local response = ""
      for chunk in res:iterator() do response = response .. chunk end
      return response
    end

    -- Node's assert.rejects(promise, /^Error: self-signed certificate$/)
    local function rejects(fn, ...)
      local ok, err = pcall(fn, ...)
      assert.ok(not ok, "Missing expected rejection.")
      assert.match(tostring(err), "^Error: self%-signed certificate$")
    end

    server:listen(0, common.mustCall(function()
      local port = server:address().port
      local firstRequest = async.run(makeRequest, port, 1)

      local remaining = async.run(function()
        -- until the first request is handled for sure
        while not firstResponse do async.sleep(0) end

        assert.strictEqual(makeRequest(port, 2), "success")

        server:setSecureContext(credentialOptions[2])
        firstResponse:write("request-")
        rejects(makeRequest, port, 3)

        server:setSecureContext(credentialOptions[1])
        assert.strictEqual(makeRequest(port, 4), "success")

        server:setSecureContext(credentialOptions[2])
        firstResponse:done("fun!")
        rejects(makeRequest, port, 5)

        assert.strictEqual(firstRequest:wait(), "multi-request-success-fun!")
        server:close()
      end)
      -- Node's .then(common.mustCall()): a failed task is an uncaught error
      -- (fails the test), and it must have finished
      common.onExit(function() assert.strictEqual(remaining.status, "done") end)
    end))
  end))
end)
