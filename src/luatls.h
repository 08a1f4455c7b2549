/*
 * luatls.h - what the C files of luatls.core share.
 *
 * Ownership (DESIGN.md): a uv handle is malloc'ed apart from its Lua userdata
 * and freed only in its close callback. While the handle is open, the record
 * holds one registry reference to its own userdata, so Lua cannot collect it.
 * Callbacks live in the userdata's user values (slots below). close() and
 * __gc/__close share one function that is safe to call twice.
 */
#ifndef LUATLS_H
#define LUATLS_H

#include <lauxlib.h>
#include <lua.h>
#include <uv.h>

#define LUATLS_VERSION "0.1.0"

/* ---- the loop (loop.c) ------------------------------------------------ */

typedef struct luatls_loop {
  uv_loop_t *uv;
  lua_State *L;     /* the thread running core.run(); NULL when not running */
  int running;      /* re-entry guard */
  int tick_pending; /* Lua asked for a nextTick drain */
  int gone;         /* the Lua state is closing: callbacks only free memory */
  int tick_ref;     /* luatls.tick.run */
  int uncaught_ref; /* handler for errors raised in callbacks */
  int error_ref;    /* first uncaught error, raised again by run() */
  int trace_ref;    /* its traceback */
} luatls_loop;

extern luatls_loop luatls_L;

/* Call the function below nargs arguments on the top of L's stack, protected,
 * with a traceback. An error goes to the uncaught handler (or stops the loop
 * and is raised again by core.run). Afterwards the nextTick queue is drained.
 * Pops the function and its arguments; pushes nothing. Returns 0 when the
 * callback ran without error. */
int luatls_call(lua_State *L, int nargs);
/* Drain the nextTick queue if Lua asked for it (same error handling). */
void luatls_run_ticks(lua_State *L);
/* The Lua state a libuv callback may use, or NULL when none (state gone). */
lua_State *luatls_state(void);

/* ---- handles (handle.c) ----------------------------------------------- */

enum {
  LUATLS_KIND_HANDLE = 1,
  LUATLS_KIND_STREAM = 2,
};

/* user value slots of a handle's userdata */
enum {
  LUATLS_UV_CB = 1,  /* main callback: read / connection / timer / signal */
  LUATLS_UV_CLOSECB, /* close(cb) */
  LUATLS_UV_EXTRA,   /* type specific */
  LUATLS_UV_NSLOTS = LUATLS_UV_EXTRA
};

typedef struct luatls_handle {
  uv_handle_t *h; /* NULL once its close has been requested */
  int ref; /* registry ref to this userdata, held until close completes */
  unsigned flags;
} luatls_handle;

#define LUATLS_F_INTERNAL 1u /* the runtime's own handle: walk() skips it */
#define LUATLS_F_READING 2u

/* Create a handle userdata of metatable `tname` around a fresh uv handle of
 * `size` bytes (not yet initialised: the caller runs uv_*_init on it and, on
 * failure, calls luatls_handle_abort). The userdata is left on the stack. */
luatls_handle *luatls_handle_new(lua_State *L, const char *tname, size_t size);
void luatls_handle_abort(lua_State *L, luatls_handle *rec);
/* Check that idx is a handle (any type) / a stream; raise if closed. */
luatls_handle *luatls_check_handle(lua_State *L, int idx, unsigned kind);
/* Push the userdata of the record a uv handle belongs to; 0 if none. */
int luatls_push_handle(lua_State *L, uv_handle_t *h);
/* Push the handle's user value `slot` (a callback); returns its Lua type
 * (LUA_TNIL when none or when the handle is gone: then nothing is pushed). */
int luatls_push_cb(lua_State *L, uv_handle_t *h, int slot);
/* Store the value at idx in user value slot of the handle at hidx. */
void luatls_set_slot(lua_State *L, int hidx, int slot, int idx);

/* Make a metatable with the given method lists (NULL-terminated array of
 * luaL_Reg lists) and kind; __index points at itself; __gc/__close close. */
void luatls_new_class(lua_State *L, const char *tname, unsigned kind,
                      const luaL_Reg *const *lists);
extern const luaL_Reg luatls_handle_methods[];
extern const luaL_Reg luatls_stream_methods[];

/* ---- requests (req.c) ------------------------------------------------- */

/* A request record keeps its callback (and any data it writes) anchored in
 * the registry until it completes. `req` is the uv request, laid out first. */
typedef struct luatls_req {
  int cb_ref;   /* callback, or LUA_NOREF */
  int data_ref; /* anchored data (strings being written), or LUA_NOREF */
} luatls_req;

/* Allocate a request of `size` bytes (uv req + payload) whose record is `r`,
 * taking the callback at cbidx (may be none/nil) into the registry. */
void *luatls_req_new(lua_State *L, size_t size, luatls_req **r, int cbidx);
/* Push the callback and release the record's references. Returns 1 when a
 * callback was pushed; 0 when none (or the state is gone). Does not free. */
int luatls_req_take_cb(lua_State *L, luatls_req *r);
void luatls_req_release(lua_State *L, luatls_req *r);

/* ---- errors (errors.c) ------------------------------------------------ */

/* Push a Node-style error object for a libuv error:
 * { name="Error", code="ECONNREFUSED", errno=-111, syscall="connect",
 *   message="connect ECONNREFUSED 127.0.0.1:80" } (detail may be NULL). */
void luatls_push_uv_error(lua_State *L, int err, const char *syscall,
                          const char *detail);
/* Push an error object with a given code and message. */
void luatls_push_error(lua_State *L, const char *code, const char *message);
/* nil, err - the usual failure return of a core function. */
int luatls_fail(lua_State *L, int err, const char *syscall, const char *detail);
/* Raise for a uv error: for misuse detected synchronously. */
int luatls_raise_uv(lua_State *L, int err, const char *syscall);
/* The node code for a uv error (maps getaddrinfo errors as Node does). */
const char *luatls_uv_code(int err);

/* ---- sockaddr helpers (tcp.c) ------------------------------------------ */

/* Fill a sockaddr from a numeric IP address and port; 0 or a uv error. */
int luatls_addr(const char *ip, int port, struct sockaddr_storage *ss);
/* Push { address=, port=, family="IPv4"|"IPv6" } for a sockaddr. */
void luatls_push_addr(lua_State *L, const struct sockaddr *sa);

/* ---- module parts: each adds its functions to the table on the top ----- */

void luatls_open_loop(lua_State *L);
void luatls_open_tcp(lua_State *L);
void luatls_open_pipe(lua_State *L);
void luatls_open_tty(lua_State *L);
void luatls_open_timer(lua_State *L);
void luatls_open_check(lua_State *L);
void luatls_open_signal(lua_State *L);
void luatls_open_dns(lua_State *L);
void luatls_open_fs(lua_State *L);
void luatls_open_os(lua_State *L);
void luatls_open_hash(lua_State *L);
void luatls_open_errors(lua_State *L);

int luaopen_luatls_core(lua_State *L);

#endif
