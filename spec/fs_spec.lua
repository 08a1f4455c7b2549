-- luatls.fs: whole-file reads and writes (sync and async, error-first
-- callbacks), existence, stat, directories, and the errors: Node's codes and
-- messages as error objects, ERR_INVALID_ARG_TYPE for bad arguments.
local helper = require("spec.helper")
local fs = require("luatls.fs")
local errors = require("luatls.errors")

local dir

-- raises(fn, ...) -> the error object fn(...) raised (fails when it did not)
local function raises(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  assert.is_true(errors.is(err), "not an error object: " .. tostring(err))
  return err
end

-- every byte value, and a NUL in the middle
local BINARY = (function()
  local t = {}
  for i = 0, 255 do t[#t + 1] = string.char(i) end
  return table.concat(t) .. "\0tail"
end)()

describe("fs", function()
  helper.leakcheck()

  before_each(function() dir = fs.mkdtempSync("/tmp/luatls-fs-") end)
  after_each(function() os.execute("rm -rf '" .. dir .. "'") end)

  describe("readFileSync / writeFileSync / existsSync", function()
    it("round-trips bytes exactly (binary, NUL, empty, 1 MiB)", function()
      local p = dir .. "/bin"
      assert.is_nil(fs.writeFileSync(p, BINARY))
      assert.equal(BINARY, fs.readFileSync(p))
      fs.writeFileSync(p, "")
      assert.equal("", fs.readFileSync(p))
      local big = string.rep("0123456789abcdef", 65536)
      fs.writeFileSync(p, big)
      assert.is_true(big == fs.readFileSync(p))
      -- the shell sees what was written
      local sh = io.popen("wc -c < '" .. p .. "'")
      assert.equal(#big, tonumber(sh:read("a")))
      sh:close()
    end)

    it("replaces the content; flag 'a' appends, 'wx' refuses an existing file", function()
      local p = dir .. "/f"
      fs.writeFileSync(p, "long old content")
      fs.writeFileSync(p, "new")
      assert.equal("new", fs.readFileSync(p))
      fs.writeFileSync(p, "+more", { flag = "a" })
      assert.equal("new+more", fs.readFileSync(p))
      local err = raises(fs.writeFileSync, p, "x", { flag = "wx" })
      assert.equal("EEXIST", err.code)
      assert.equal("EEXIST: file already exists, open '" .. p .. "'", err.message)
    end)

    it("decodes and encodes with an encoding (hex, base64; utf8 is the bytes)", function()
      local p = dir .. "/e"
      fs.writeFileSync(p, "68656c6c6f", "hex")
      assert.equal("hello", fs.readFileSync(p))
      assert.equal("hello", fs.readFileSync(p, "utf8"))
      assert.equal("68656c6c6f", fs.readFileSync(p, "hex"))
      assert.equal("aGVsbG8=", fs.readFileSync(p, { encoding = "base64" }))
      fs.writeFileSync(p, "d29ybGQ=", { encoding = "base64" })
      assert.equal("world", fs.readFileSync(p))
    end)

    it("existsSync tells files and directories from missing paths, and never raises", function()
      fs.writeFileSync(dir .. "/here", "x")
      assert.is_true(fs.existsSync(dir .. "/here"))
      assert.is_true(fs.existsSync(dir))
      assert.is_false(fs.existsSync(dir .. "/missing"))
      assert.is_false(fs.existsSync(dir .. "/here/below"))
      assert.is_false(fs.existsSync(nil))
      assert.is_false(fs.existsSync(42))
    end)

    it("a missing file raises ENOENT as Node words it", function()
      local p = dir .. "/missing.pem"
      local err = raises(fs.readFileSync, p)
      assert.equal("ENOENT", err.code)
      assert.equal("open", err.syscall)
      assert.equal(p, err.path)
      assert.is_true(err.errno < 0)
      assert.equal("ENOENT: no such file or directory, open '" .. p .. "'", err.message)
      assert.equal("Error: ENOENT: no such file or directory, open '" .. p .. "'", tostring(err))
      -- a directory that does not exist, for a write
      err = raises(fs.writeFileSync, dir .. "/no/such/dir", "x")
      assert.equal("ENOENT", err.code)
      assert.equal("ENOENT: no such file or directory, open '" .. dir .. "/no/such/dir'", err.message)
    end)

    it("reading a directory raises EISDIR", function()
      local err = raises(fs.readFileSync, dir)
      assert.equal("EISDIR", err.code)
      assert.matches("^EISDIR: illegal operation on a directory, read", err.message)
    end)

    it("appendFileSync appends, creating the file", function()
      local p = dir .. "/log"
      fs.appendFileSync(p, "a")
      fs.appendFileSync(p, "b")
      fs.appendFileSync(p, "6263", "hex")
      assert.equal("abbc", fs.readFileSync(p))
    end)
  end)

  describe("readFile / writeFile (async, error-first callbacks)", function()
    it("writeFile then readFile call back later, with nil and the data", function()
      local p = dir .. "/async"
      local steps = {}
      fs.writeFile(p, BINARY, function(err, extra)
        steps[#steps + 1] = { "written", err, extra }
        fs.readFile(p, function(err2, data)
          steps[#steps + 1] = { "read", err2, data }
        end)
      end)
      steps[#steps + 1] = { "returned" }
      helper.wait(function() return #steps == 3 end)
      assert.equal("returned", steps[1][1]) -- never called back inline
      assert.same({ "written" }, steps[2])
      assert.equal("read", steps[3][1])
      assert.is_nil(steps[3][2])
      assert.equal(BINARY, steps[3][3])
    end)

    it("readFile of a missing file passes an ENOENT error object to the callback", function()
      local p = dir .. "/nope.txt"
      local got, n = nil, 0
      fs.readFile(p, "utf8", function(err, data)
        n = n + 1
        got = { err = err, data = data }
      end)
      assert.equal(0, n)
      helper.wait(function() return got end)
      helper.drain()
      assert.equal(1, n)
      assert.is_nil(got.data)
      assert.is_true(errors.is(got.err))
      assert.equal("ENOENT", got.err.code)
      assert.equal("ENOENT: no such file or directory, open '" .. p .. "'", got.err.message)
    end)

    it("writeFile into a missing directory passes ENOENT; options and encodings work", function()
      local results = {}
      fs.writeFile(dir .. "/no/file", "x", function(err) results.missing = err end)
      fs.writeFile(dir .. "/hex", "6869", "hex", function(err) results.hex = err or false end)
      helper.wait(function() return results.missing and results.hex ~= nil end)
      assert.equal("ENOENT", results.missing.code)
      assert.is_false(results.hex)
      local data
      fs.readFile(dir .. "/hex", { encoding = "base64" }, function(_, d) data = d end)
      helper.wait(function() return data end)
      assert.equal("aGk=", data)
      local appended
      fs.appendFile(dir .. "/hex", "!", function(err) appended = err or true end)
      helper.wait(function() return appended end)
      assert.equal("hi!", fs.readFileSync(dir .. "/hex"))
    end)

    it("an error in the callback is an uncaught error, not a silent one", function()
      fs.writeFileSync(dir .. "/x", "x")
      fs.readFile(dir .. "/x", function() error("callback failed", 0) end)
      local ok, err = pcall(helper.wait, function() return false end, 5000)
      assert.is_false(ok)
      assert.matches("callback failed", tostring(err))
    end)

    it("stat, readdir, access, exists, lstat and unlink have async forms", function()
      fs.writeFileSync(dir .. "/b", "12345")
      fs.writeFileSync(dir .. "/a", "")
      local r = {}
      fs.stat(dir .. "/b", function(err, st) r.stat = { err, st } end)
      fs.lstat(dir .. "/b", function(err, st) r.lstat = { err, st } end)
      fs.readdir(dir, function(err, names) r.readdir = { err, names } end)
      fs.access(dir .. "/missing", function(err) r.access = err end)
      fs.exists(dir .. "/a", function(yes) r.exists = yes end)
      fs.exists(dir .. "/missing", function(yes) r.notExists = yes end)
      fs.stat(dir .. "/missing", function(err) r.statMissing = err end)
      helper.wait(function()
        return r.stat and r.lstat and r.readdir and r.access and r.exists ~= nil
          and r.notExists ~= nil and r.statMissing
      end)
      assert.is_nil(r.stat[1])
      assert.equal(5, r.stat[2].size)
      assert.is_true(r.stat[2]:isFile())
      assert.is_true(r.lstat[2]:isFile())
      assert.same({ "a", "b" }, r.readdir[2])
      assert.equal("ENOENT", r.access.code)
      assert.is_true(r.exists)
      assert.is_false(r.notExists)
      assert.equal("ENOENT: no such file or directory, stat '" .. dir .. "/missing'", r.statMissing.message)
      local unlinked
      fs.unlink(dir .. "/a", function(err) unlinked = err or true end)
      helper.wait(function() return unlinked end)
      assert.is_true(unlinked)
      assert.is_false(fs.existsSync(dir .. "/a"))
    end)
  end)

  describe("stat", function()
    it("statSync gives size, type predicates and times", function()
      fs.writeFileSync(dir .. "/f", "abc")
      local st = fs.statSync(dir .. "/f")
      assert.equal(3, st.size)
      assert.is_true(st:isFile())
      assert.is_false(st:isDirectory())
      assert.is_false(st:isSymbolicLink())
      assert.is_true(math.abs(st.mtimeMs - os.time() * 1000) < 120000)
      assert.equal(tonumber("100000", 8), st.mode & tonumber("170000", 8)) -- S_IFREG
      local d = fs.statSync(dir)
      assert.is_true(d:isDirectory())
      assert.is_false(d:isFile())
      local err = raises(fs.statSync, dir .. "/missing")
      assert.equal("ENOENT: no such file or directory, stat '" .. dir .. "/missing'", err.message)
    end)

    it("lstatSync sees a symbolic link, statSync what it points at", function()
      fs.mkdirSync(dir .. "/target")
      assert.is_true(os.execute("ln -s '" .. dir .. "/target' '" .. dir .. "/link'"))
      assert.is_true(fs.lstatSync(dir .. "/link"):isSymbolicLink())
      assert.is_true(fs.statSync(dir .. "/link"):isDirectory())
      assert.is_false(fs.statSync(dir .. "/link"):isSymbolicLink())
      local err = raises(fs.lstatSync, dir .. "/missing")
      assert.equal("ENOENT: no such file or directory, lstat '" .. dir .. "/missing'", err.message)
    end)
  end)

  describe("directories", function()
    it("mkdirSync makes one directory; EEXIST when it is there, ENOENT without its parent", function()
      assert.is_nil(fs.mkdirSync(dir .. "/d"))
      assert.is_true(fs.statSync(dir .. "/d"):isDirectory())
      local err = raises(fs.mkdirSync, dir .. "/d")
      assert.equal("EEXIST: file already exists, mkdir '" .. dir .. "/d'", err.message)
      err = raises(fs.mkdirSync, dir .. "/x/y")
      assert.equal("ENOENT", err.code)
    end)

    it("mkdirSync recursive makes the missing parents and returns the first one it made", function()
      assert.equal(dir .. "/a", fs.mkdirSync(dir .. "/a/b/c", { recursive = true }))
      assert.is_true(fs.statSync(dir .. "/a/b/c"):isDirectory())
      assert.is_nil(fs.mkdirSync(dir .. "/a/b/c", { recursive = true }))
      assert.equal(dir .. "/a/b/d", fs.mkdirSync(dir .. "/a/b/d/", { recursive = true }))
      -- a file in the way
      fs.writeFileSync(dir .. "/file", "x")
      local err = raises(fs.mkdirSync, dir .. "/file", { recursive = true })
      assert.equal("EEXIST", err.code)
      err = raises(fs.mkdirSync, dir .. "/file/sub/deeper", { recursive = true })
      assert.equal("ENOTDIR", err.code)
      assert.equal("ENOTDIR: not a directory, mkdir '" .. dir .. "/file/sub/deeper'", err.message)
    end)

    it("mkdirSync takes a mode", function()
      fs.mkdirSync(dir .. "/private", { mode = tonumber("700", 8) })
      assert.equal(tonumber("700", 8), fs.statSync(dir .. "/private").mode & tonumber("777", 8))
    end)

    it("readdirSync lists the names, sorted, without . and ..", function()
      fs.writeFileSync(dir .. "/b", "")
      fs.writeFileSync(dir .. "/a", "")
      fs.mkdirSync(dir .. "/c")
      fs.writeFileSync(dir .. "/.hidden", "")
      assert.same({ ".hidden", "a", "b", "c" }, fs.readdirSync(dir))
      assert.same({}, fs.readdirSync(dir .. "/c"))
      local err = raises(fs.readdirSync, dir .. "/missing")
      assert.equal("ENOENT: no such file or directory, scandir '" .. dir .. "/missing'", err.message)
      err = raises(fs.readdirSync, dir .. "/a")
      assert.equal("ENOTDIR", err.code)
    end)

    it("mkdtempSync makes a new, unique directory from a prefix", function()
      local a = fs.mkdtempSync(dir .. "/tmp-")
      local b = fs.mkdtempSync(dir .. "/tmp-")
      assert.matches("^" .. dir:gsub("%p", "%%%0") .. "/tmp%-" .. string.rep("[%w]", 6) .. "$", a)
      assert.is_not.equal(a, b)
      assert.is_true(fs.statSync(a):isDirectory())
      local err = raises(fs.mkdtempSync, dir .. "/missing/tmp-")
      assert.equal("ENOENT: no such file or directory, mkdtemp '" .. dir .. "/missing/tmp-XXXXXX'", err.message)
    end)

    it("renameSync, unlinkSync, rmdirSync, accessSync", function()
      fs.writeFileSync(dir .. "/from", "x")
      fs.renameSync(dir .. "/from", dir .. "/to")
      assert.is_false(fs.existsSync(dir .. "/from"))
      assert.equal("x", fs.readFileSync(dir .. "/to"))
      local err = raises(fs.renameSync, dir .. "/from", dir .. "/to2")
      assert.equal("ENOENT: no such file or directory, rename '" .. dir .. "/from' -> '" .. dir .. "/to2'",
        err.message)
      assert.is_nil(fs.accessSync(dir .. "/to", fs.constants.R_OK))
      fs.unlinkSync(dir .. "/to")
      err = raises(fs.accessSync, dir .. "/to")
      assert.equal("ENOENT", err.code)
      assert.equal("access", err.syscall)
      fs.mkdirSync(dir .. "/d")
      fs.writeFileSync(dir .. "/d/f", "")
      err = raises(fs.rmdirSync, dir .. "/d")
      assert.equal("ENOTEMPTY", err.code)
      fs.unlinkSync(dir .. "/d/f")
      fs.rmdirSync(dir .. "/d")
      assert.is_false(fs.existsSync(dir .. "/d"))
    end)
  end)

  describe("rmSync", function()
    it("removes a file; a directory only with recursive (ERR_FS_EISDIR otherwise)", function()
      fs.writeFileSync(dir .. "/f", "x")
      fs.rmSync(dir .. "/f")
      assert.is_false(fs.existsSync(dir .. "/f"))
      fs.mkdirSync(dir .. "/t/u/v", { recursive = true })
      fs.writeFileSync(dir .. "/t/u/v/w", "x")
      fs.writeFileSync(dir .. "/t/top", "x")
      local err = raises(fs.rmSync, dir .. "/t")
      assert.equal("ERR_FS_EISDIR", err.code)
      assert.is_true(fs.existsSync(dir .. "/t/u/v/w"))
      fs.rmSync(dir .. "/t", { recursive = true })
      assert.is_false(fs.existsSync(dir .. "/t"))
    end)

    it("a missing path raises ENOENT, unless force", function()
      local err = raises(fs.rmSync, dir .. "/missing")
      assert.equal("ENOENT", err.code)
      assert.equal("ENOENT: no such file or directory, lstat '" .. dir .. "/missing'", err.message)
      assert.is_nil(fs.rmSync(dir .. "/missing", { force = true }))
    end)

    it("removes a symbolic link, never what it points at (even with recursive)", function()
      fs.mkdirSync(dir .. "/target/sub", { recursive = true })
      fs.writeFileSync(dir .. "/target/sub/keep", "precious")
      assert.is_true(os.execute(string.format("ln -s '%s/target' '%s/link' && ln -s '%s/gone' '%s/dangling'",
        dir, dir, dir, dir)))
      fs.rmSync(dir .. "/link", { recursive = true })
      assert.equal("precious", fs.readFileSync(dir .. "/target/sub/keep"))
      assert.has_error(function() fs.lstatSync(dir .. "/link") end)
      -- a link whose target is gone is removed too
      fs.rmSync(dir .. "/dangling")
      assert.same({ "target" }, fs.readdirSync(dir))
    end)
  end)

  describe("bad arguments", function()
    it("raise ERR_INVALID_ARG_TYPE (a TypeError) at once", function()
      local cases = {
        { fs.readFileSync, 42 },
        { fs.readFileSync, nil },
        { fs.writeFileSync, nil, "x" },
        { fs.writeFileSync, dir .. "/x", {} },
        { fs.writeFileSync, dir .. "/x", nil },
        { fs.appendFileSync, true, "x" },
        { fs.statSync, {} },
        { fs.lstatSync, 1 },
        { fs.mkdirSync, false },
        { fs.readdirSync, nil },
        { fs.rmSync, 7 },
        { fs.mkdtempSync, nil },
        { fs.renameSync, dir, nil },
        { fs.unlinkSync, nil },
        { fs.readFile, dir .. "/x" },            -- no callback
        { fs.readFile, 5, function() end },
        { fs.writeFile, dir .. "/x", "data" },   -- no callback
        { fs.writeFile, dir .. "/x", {}, function() end },
        { fs.stat, dir, "not a function" },
      }
      for i, c in ipairs(cases) do
        local err = raises(c[1], table.unpack(c, 2, 3))
        assert.equal("ERR_INVALID_ARG_TYPE", err.code, "case " .. i)
        assert.equal("TypeError", err.name, "case " .. i)
        assert.matches("^The \"%w+\" argument must be of type %w+%. Received ", err.message)
      end
      assert.equal('The "path" argument must be of type string. Received type number (42)',
        raises(fs.readFileSync, 42).message)
      -- nothing was written by the failed calls
      assert.is_false(fs.existsSync(dir .. "/x"))
    end)

    it("a path with a NUL byte raises ERR_INVALID_ARG_VALUE", function()
      for _, fn in ipairs({ fs.readFileSync, fs.statSync, fs.mkdirSync, fs.rmSync }) do
        local err = raises(fn, dir .. "/a\0b")
        assert.equal("ERR_INVALID_ARG_VALUE", err.code)
        assert.equal("TypeError", err.name)
      end
      local err = raises(fs.writeFileSync, dir .. "/a\0b", "x")
      assert.equal("ERR_INVALID_ARG_VALUE", err.code)
      assert.same({}, fs.readdirSync(dir))
    end)
  end)
end)
