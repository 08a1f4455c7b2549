/*
 * uv/fs.c - file system operations for the fs module. Each operation is one
 * function of plain POSIX calls that runs either at once (the *Sync forms:
 * no callback given) or on libuv's thread pool (a callback given), so both
 * forms share one code path and a slow disk never blocks the loop.
 * Failures carry Node's codes and message form:
 *   "ENOENT: no such file or directory, open 'missing.txt'"
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luatls.h"

enum {
  OP_READ,
  OP_WRITE,
  OP_ACCESS,
  OP_STAT,
  OP_LSTAT,
  OP_UNLINK,
  OP_MKDIR,
  OP_RMDIR,
  OP_MKDTEMP,
  OP_READDIR,
  OP_RENAME
};

typedef struct fs_op {
  uv_work_t work;
  int kind;
  int err; /* a uv error (negative) or 0 */
  const char *syscall;
  char *path, *path2; /* owned copies */
  const char *data;   /* OP_WRITE: a Lua string anchored by the request */
  size_t len;
  int flags, mode;
  char *out; /* OP_READ: the file; OP_MKDTEMP: the path; OP_READDIR: names */
  size_t outlen;
  struct stat st;
} fs_op;

static int fail(fs_op *op, const char *syscall) {
  op->err = uv_translate_sys_error(errno);
  op->syscall = syscall;
  return -1;
}

static int read_all(fs_op *op) {
  int fd = open(op->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(op, "open");
  struct stat st;
  if (fstat(fd, &st) < 0) {
    fail(op, "fstat");
    close(fd);
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    fail(op, "read");
    close(fd);
    return -1;
  }
  size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 8192;
  char *buf = malloc(cap);
  size_t len = 0;
  for (;;) {
    if (buf == NULL) {
      errno = ENOMEM;
      fail(op, "read");
      break;
    }
    if (len == cap) {
      char *nb = realloc(buf, cap *= 2);
      if (nb == NULL)
        free(buf);
      buf = nb;
      continue;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fail(op, "read");
      free(buf);
      buf = NULL;
      break;
    }
    if (n == 0)
      break;
    len += (size_t)n;
  }
  close(fd);
  op->out = buf;
  op->outlen = len;
  return buf ? 0 : -1;
}

static int write_all(fs_op *op) {
  int fd = open(op->path, op->flags | O_CLOEXEC, op->mode);
  if (fd < 0)
    return fail(op, "open");
  size_t done = 0;
  while (done < op->len) {
    ssize_t n = write(fd, op->data + done, op->len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fail(op, "write");
      close(fd);
      return -1;
    }
    done += (size_t)n;
  }
  if (close(fd) < 0)
    return fail(op, "close");
  return 0;
}

static int read_dir(fs_op *op) {
  DIR *d = opendir(op->path);
  if (d == NULL)
    return fail(op, "scandir");
  size_t cap = 256, len = 0;
  char *buf = malloc(cap);
  struct dirent *e;
  while (buf && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    size_t n = strlen(e->d_name) + 1; /* names separated by NUL */
    while (len + n > cap) {
      char *nb = realloc(buf, cap *= 2);
      if (nb == NULL)
        free(buf);
      buf = nb;
      if (buf == NULL)
        break;
    }
    if (buf) {
      memcpy(buf + len, e->d_name, n);
      len += n;
    }
  }
  closedir(d);
  if (buf == NULL) {
    errno = ENOMEM;
    return fail(op, "scandir");
  }
  op->out = buf;
  op->outlen = len;
  return 0;
}

static void run_op(fs_op *op) {
  switch (op->kind) {
  case OP_READ: read_all(op); break;
  case OP_WRITE: write_all(op); break;
  case OP_ACCESS:
    if (access(op->path, op->mode) < 0)
      fail(op, "access");
    break;
  case OP_STAT:
    if (stat(op->path, &op->st) < 0)
      fail(op, "stat");
    break;
  case OP_LSTAT:
    if (lstat(op->path, &op->st) < 0)
      fail(op, "lstat");
    break;
  case OP_UNLINK:
    if (unlink(op->path) < 0)
      fail(op, "unlink");
    break;
  case OP_MKDIR:
    if (mkdir(op->path, op->mode) < 0)
      fail(op, "mkdir");
    break;
  case OP_RMDIR:
    if (rmdir(op->path) < 0)
      fail(op, "rmdir");
    break;
  case OP_RENAME:
    if (rename(op->path, op->path2) < 0)
      fail(op, "rename");
    break;
  case OP_MKDTEMP:
    if (mkdtemp(op->path) == NULL) {
      fail(op, "mkdtemp");
      /* the message names the template, as Node's does */
      memcpy(op->path + strlen(op->path) - 6, "XXXXXX", 6);
    }
    break;
  case OP_READDIR: read_dir(op); break;
  }
}

static void push_stat(lua_State *L, const struct stat *st) {
  lua_createtable(L, 0, 10);
  const char *type = S_ISREG(st->st_mode)    ? "file"
                     : S_ISDIR(st->st_mode)  ? "directory"
                     : S_ISLNK(st->st_mode)  ? "link"
                     : S_ISFIFO(st->st_mode) ? "fifo"
                     : S_ISSOCK(st->st_mode) ? "socket"
                     : S_ISCHR(st->st_mode)  ? "char"
                     : S_ISBLK(st->st_mode)  ? "block"
                                             : "unknown";
  lua_pushstring(L, type);
  lua_setfield(L, -2, "type");
#define F(name, v)                                                             \
  (lua_pushinteger(L, (lua_Integer)(v)), lua_setfield(L, -2, name))
  F("size", st->st_size);
  F("mode", st->st_mode);
  F("uid", st->st_uid);
  F("gid", st->st_gid);
  F("ino", st->st_ino);
  F("dev", st->st_dev);
  F("nlink", st->st_nlink);
#undef F
  lua_pushnumber(L, (lua_Number)st->st_mtim.tv_sec * 1e3 +
                        st->st_mtim.tv_nsec / 1e6);
  lua_setfield(L, -2, "mtimeMs");
  lua_pushnumber(L, (lua_Number)st->st_atim.tv_sec * 1e3 +
                        st->st_atim.tv_nsec / 1e6);
  lua_setfield(L, -2, "atimeMs");
  lua_pushnumber(L, (lua_Number)st->st_ctim.tv_sec * 1e3 +
                        st->st_ctim.tv_nsec / 1e6);
  lua_setfield(L, -2, "ctimeMs");
}

/* Push the results of a finished op: (err) or (nil, value); returns count. */
static int push_result(lua_State *L, fs_op *op) {
  if (op->err) {
    const char *code = luatls_uv_code(op->err);
    luatls_push_uv_error(L, op->err, op->syscall, NULL);
    if (op->kind == OP_RENAME)
      lua_pushfstring(L, "%s: %s, %s '%s' -> '%s'", code, uv_strerror(op->err),
                      op->syscall, op->path, op->path2);
    else
      lua_pushfstring(L, "%s: %s, %s '%s'", code, uv_strerror(op->err),
                      op->syscall, op->path);
    lua_setfield(L, -2, "message");
    lua_pushstring(L, op->path);
    lua_setfield(L, -2, "path");
    return 1;
  }
  lua_pushnil(L);
  switch (op->kind) {
  case OP_READ: lua_pushlstring(L, op->out, op->outlen); break;
  case OP_ACCESS: lua_pushboolean(L, 1); break;
  case OP_STAT:
  case OP_LSTAT: push_stat(L, &op->st); break;
  case OP_MKDTEMP: lua_pushstring(L, op->path); break;
  case OP_READDIR: {
    lua_newtable(L);
    int n = 0;
    for (size_t i = 0; i < op->outlen; i += strlen(op->out + i) + 1) {
      lua_pushstring(L, op->out + i);
      lua_rawseti(L, -2, ++n);
    }
    break;
  }
  default: return 1;
  }
  return 2;
}

static void free_op(fs_op *op) {
  free(op->path);
  free(op->path2);
  free(op->out);
  free(op);
}

static void work_cb(uv_work_t *w) { run_op((fs_op *)w); }

static void after_cb(uv_work_t *w, int status) {
  fs_op *op = (fs_op *)w;
  luatls_req *r = w->data;
  lua_State *L = luatls_state();
  if (status < 0 && op->err == 0)
    op->err = status;
  if (!luatls_req_take_cb(L, r)) {
    free_op(op);
    return;
  }
  int n = push_result(L, op);
  free_op(op);
  luatls_call(L, n);
}

static char *dup_path(lua_State *L, int idx) {
  size_t len;
  const char *p = luaL_checklstring(L, idx, &len);
  luaL_argcheck(L, strlen(p) == len, idx, "path must not contain NUL bytes");
  char *s = malloc(len + 1);
  if (s == NULL)
    luaL_error(L, "out of memory");
  memcpy(s, p, len + 1);
  return s;
}

/* Run op now (cbidx holds no function: returns value | nil, err) or on the
 * thread pool (returns true; cb(err) or cb(nil, value) later). dataidx: a
 * string the op reads, kept alive until it completes. */
static int submit(lua_State *L, fs_op *op, int cbidx, int dataidx) {
  if (!lua_isfunction(L, cbidx)) {
    run_op(op);
    int n = push_result(L, op);
    free_op(op);
    if (n == 1 && !lua_isnil(L, -1)) { /* an error: nil, err */
      lua_pushnil(L);
      lua_insert(L, -2);
      return 2;
    }
    if (n == 1)
      lua_pushboolean(L, 1);
    return 1;
  }
  /* ops are freed by after_cb; the req record sits past the op */
  luatls_req *r;
  fs_op *q = luatls_req_new(L, sizeof *q, &r, cbidx);
  memcpy(q, op, sizeof *q);
  free(op);
  q->work.data = r;
  if (dataidx) {
    lua_pushvalue(L, dataidx);
    r->data_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  int err = uv_queue_work(luatls_main_loop.uv, &q->work, work_cb, after_cb);
  if (err < 0) {
    luatls_req_release(L, r);
    free_op(q);
    return luatls_fail(L, err, "queue_work", NULL);
  }
  lua_pushboolean(L, 1);
  return 1;
}

static fs_op *new_op(lua_State *L, int kind) {
  char *path = dup_path(L, 1);
  fs_op *op = calloc(1, sizeof *op);
  if (op == NULL) {
    free(path);
    luaL_error(L, "out of memory");
  }
  op->kind = kind;
  op->path = path;
  return op;
}

/* readfile(path[, cb]) */
static int l_readfile(lua_State *L) {
  return submit(L, new_op(L, OP_READ), 2, 0);
}

/* writefile(path, data, flag, mode[, cb]); flag "w" | "a" | "wx" | "ax" */
static int l_writefile(lua_State *L) {
  luaL_checktype(L, 2, LUA_TSTRING);
  const char *flag = luaL_optstring(L, 3, "w");
  int flags = O_WRONLY | O_CREAT;
  if (flag[0] == 'a')
    flags |= O_APPEND;
  else if (flag[0] == 'w')
    flags |= O_TRUNC;
  else
    return luaL_argerror(L, 3, "flag must be \"w\", \"a\", \"wx\" or \"ax\"");
  if (strchr(flag, 'x'))
    flags |= O_EXCL;
  fs_op *op = new_op(L, OP_WRITE);
  op->data = lua_tolstring(L, 2, &op->len);
  op->flags = flags;
  op->mode = (int)luaL_optinteger(L, 4, 0666);
  return submit(L, op, 5, 2);
}

/* access(path[, mode][, cb]) mode: an R_OK|W_OK|X_OK mask, default F_OK */
static int l_access(lua_State *L) {
  fs_op *op = new_op(L, OP_ACCESS);
  op->mode = (int)luaL_optinteger(L, 2, F_OK);
  return submit(L, op, 3, 0);
}

static int l_stat(lua_State *L) { return submit(L, new_op(L, OP_STAT), 2, 0); }
static int l_lstat(lua_State *L) {
  return submit(L, new_op(L, OP_LSTAT), 2, 0);
}
static int l_unlink(lua_State *L) {
  return submit(L, new_op(L, OP_UNLINK), 2, 0);
}
static int l_rmdir(lua_State *L) {
  return submit(L, new_op(L, OP_RMDIR), 2, 0);
}
static int l_readdir(lua_State *L) {
  return submit(L, new_op(L, OP_READDIR), 2, 0);
}

/* mkdir(path[, mode][, cb]) */
static int l_mkdir(lua_State *L) {
  fs_op *op = new_op(L, OP_MKDIR);
  op->mode = (int)luaL_optinteger(L, 2, 0777);
  return submit(L, op, 3, 0);
}

/* mkdtemp(prefix[, cb]): makes prefix .. "XXXXXX" */
static int l_mkdtemp(lua_State *L) {
  size_t len;
  const char *prefix = luaL_checklstring(L, 1, &len);
  luaL_argcheck(L, strlen(prefix) == len, 1, "path must not contain NUL bytes");
  fs_op *op = calloc(1, sizeof *op);
  char *path = malloc(len + 7);
  if (op == NULL || path == NULL) {
    free(op);
    free(path);
    return luaL_error(L, "out of memory");
  }
  memcpy(path, prefix, len);
  memcpy(path + len, "XXXXXX", 7);
  op->kind = OP_MKDTEMP;
  op->path = path;
  return submit(L, op, 2, 0);
}

/* rename(from, to[, cb]) */
static int l_rename(lua_State *L) {
  luaL_checkstring(L, 2);
  fs_op *op = new_op(L, OP_RENAME);
  op->path2 = dup_path(L, 2);
  return submit(L, op, 3, 0);
}

void luatls_open_fs(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"fs_readfile", l_readfile}, {"fs_writefile", l_writefile},
      {"fs_access", l_access},     {"fs_stat", l_stat},
      {"fs_lstat", l_lstat},       {"fs_unlink", l_unlink},
      {"fs_mkdir", l_mkdir},       {"fs_rmdir", l_rmdir},
      {"fs_mkdtemp", l_mkdtemp},   {"fs_readdir", l_readdir},
      {"fs_rename", l_rename},     {NULL, NULL},
  };
  luaL_setfuncs(L, fns, 0);
}
