/*
 * loop.c - the event loop: run/stop/alive/walk, the re-entry guard, the one
 * protected path every callback into Lua takes, and closing the loop when the
 * Lua state goes away.
 */
#include <stdlib.h>
#include <string.h>

#include "luatls.h"

luatls_loop luatls_main_loop = {NULL,      NULL,      0,         0,        0,
                                LUA_NOREF, LUA_NOREF, LUA_NOREF, LUA_NOREF};

lua_State *luatls_state(void) {
  return luatls_main_loop.gone ? NULL : luatls_main_loop.L;
}

/* Message handler: keep the error value as it is (error objects stay tables)
 * and remember the traceback beside it. */
static int msgh(lua_State *L) {
  const char *msg = NULL;
  if (lua_type(L, 1) == LUA_TSTRING)
    msg = lua_tostring(L, 1);
  else if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
    msg = lua_tostring(L, -1);
  luaL_traceback(L, L, msg ? msg : "(error object)", 1);
  lua_setfield(L, LUA_REGISTRYINDEX, "luatls.traceback");
  lua_settop(L, 1);
  return 1;
}

/* An error escaped a callback: it is at the top of the stack. Offer it to the
 * uncaught handler (process 'uncaughtException'); when nobody takes it, keep
 * the first one and stop the loop so run() raises it. Pops the error. */
static void uncaught(lua_State *L) {
  int err = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, "luatls.traceback");
  int tb = lua_gettop(L);
  if (luatls_main_loop.uncaught_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, luatls_main_loop.uncaught_ref);
    lua_pushvalue(L, err);
    lua_pushvalue(L, tb);
    lua_pushcfunction(L, msgh);
    lua_insert(L, -4);
    int st = lua_pcall(L, 2, 1, -4);
    if (st == LUA_OK && lua_toboolean(L, -1)) {
      lua_settop(L, err - 1);
      return;
    }
    if (st != LUA_OK) { /* the handler itself failed: that error wins */
      lua_replace(L, err);
      lua_getfield(L, LUA_REGISTRYINDEX, "luatls.traceback");
      lua_replace(L, tb);
    }
  }
  if (luatls_main_loop.error_ref == LUA_NOREF) {
    lua_pushvalue(L, tb);
    luatls_main_loop.trace_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, err);
    if (lua_isnil(L, -1)) { /* error(nil): still an error */
      lua_pop(L, 1);
      lua_pushliteral(L, "nil");
    }
    luatls_main_loop.error_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_settop(L, err - 1);
  if (luatls_main_loop.uv && luatls_main_loop.running)
    uv_stop(luatls_main_loop.uv);
}

static int pcall_traced(lua_State *L, int nargs) {
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, msgh);
  lua_insert(L, base);
  int st = lua_pcall(L, nargs, 0, base);
  lua_remove(L, base);
  if (st != LUA_OK)
    uncaught(L);
  return st;
}

static luatls_deferred *deferred_head, *deferred_tail;

/* Deferred work (C's and Lua's nextTick) runs after the callback that asked
 * for it when that callback went through Lua (luatls_call drains it). A
 * callback that never enters Lua (a write completion, a read forwarded in
 * C, a timer of the runtime's own) drains nothing, so the work it defers
 * must not wait for some later Lua call that may never come: while work is
 * pending this idle handle keeps the loop turning without waiting for I/O,
 * and its callback drains the queue. It stops as soon as the queue is
 * empty, so work drained by luatls_call costs a start and a stop, nothing
 * more. Not a Lua handle (walk() leaves it out); closed with the loop. */
static uv_idle_t *tick_idle;

static void tick_idle_cb(uv_idle_t *h) {
  lua_State *L = luatls_state();
  if (L == NULL) {
    uv_idle_stop(h);
    return;
  }
  luatls_run_ticks(L);
}

static void want_ticks(void) {
  luatls_main_loop.tick_pending = 1;
  if (tick_idle == NULL) {
    tick_idle = malloc(sizeof *tick_idle);
    if (tick_idle == NULL)
      return; /* (then only a Lua call drains it, as before) */
    uv_idle_init(luatls_main_loop.uv, tick_idle);
    tick_idle->data = NULL;
  }
  if (!uv_is_active((uv_handle_t *)tick_idle))
    uv_idle_start(tick_idle, tick_idle_cb);
}

void luatls_defer(luatls_deferred *d) {
  if (d->queued)
    return;
  d->queued = 1;
  d->next = NULL;
  d->prev = deferred_tail;
  if (deferred_tail)
    deferred_tail->next = d;
  else
    deferred_head = d;
  deferred_tail = d;
  want_ticks();
}

void luatls_undefer(luatls_deferred *d) {
  if (!d->queued)
    return;
  if (d->prev)
    d->prev->next = d->next;
  else
    deferred_head = d->next;
  if (d->next)
    d->next->prev = d->prev;
  else
    deferred_tail = d->prev;
  d->prev = d->next = NULL;
  d->queued = 0;
}

void luatls_run_ticks(lua_State *L) {
  while (luatls_main_loop.tick_pending &&
         luatls_main_loop.error_ref == LUA_NOREF) {
    luatls_main_loop.tick_pending = 0;
    while (deferred_head && luatls_main_loop.error_ref == LUA_NOREF) {
      luatls_deferred *d = deferred_head;
      luatls_undefer(d);
      d->fn(d);
    }
    if (luatls_main_loop.tick_ref != LUA_NOREF &&
        luatls_main_loop.error_ref == LUA_NOREF) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, luatls_main_loop.tick_ref);
      pcall_traced(L, 0);
    }
  }
  if (tick_idle && !luatls_main_loop.tick_pending && deferred_head == NULL)
    uv_idle_stop(tick_idle);
}

int luatls_call(lua_State *L, int nargs) {
  int st = pcall_traced(L, nargs);
  luatls_run_ticks(L);
  return st;
}

/* ---- Lua functions ------------------------------------------------------- */

static int raise_pending(lua_State *L) {
  if (luatls_main_loop.error_ref == LUA_NOREF)
    return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, luatls_main_loop.trace_ref);
  lua_setfield(L, LUA_REGISTRYINDEX, "luatls.last_traceback");
  luaL_unref(L, LUA_REGISTRYINDEX, luatls_main_loop.trace_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, luatls_main_loop.error_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, luatls_main_loop.error_ref);
  luatls_main_loop.error_ref = luatls_main_loop.trace_ref = LUA_NOREF;
  return lua_error(L);
}

/* run([mode]) -> alive. mode: "default" (until no work is left), "once"
 * (one turn, waiting for I/O), "nowait" (one turn, no waiting). An error that
 * escaped a callback and that no uncaught handler took is raised from here;
 * last_traceback() gives its traceback. */
static int l_run(lua_State *L) {
  static const char *const modes[] = {"default", "once", "nowait", NULL};
  static const uv_run_mode umodes[] = {UV_RUN_DEFAULT, UV_RUN_ONCE,
                                       UV_RUN_NOWAIT};
  int mode = luaL_checkoption(L, 1, "default", modes);
  if (luatls_main_loop.running)
    return luaL_error(L, "the event loop is already running");
  lua_settop(L, 0);
  lua_State *prev = luatls_main_loop.L;
  luatls_main_loop.running = 1;
  /* Callbacks run on the main thread, whichever coroutine runs the loop (a
   * task, or the interpreter's main chunk, which is one): a callback is
   * never inside a task, and a task's coroutine.yield never crosses the
   * loop's C frames. */
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  luatls_main_loop.L = lua_tothread(L, -1);
  lua_pop(L, 1);
  luatls_run_ticks(luatls_main_loop.L);
  int alive = 1;
  if (luatls_main_loop.error_ref == LUA_NOREF)
    alive = uv_run(luatls_main_loop.uv, umodes[mode]);
  luatls_main_loop.running = 0;
  luatls_main_loop.L = prev;
  raise_pending(L);
  lua_pushboolean(L, alive || uv_loop_alive(luatls_main_loop.uv));
  return 1;
}

/* invoke(fn, ...): call fn as the loop calls a callback: an error goes to
 * the uncaught handler ('uncaughtException'), and when nobody takes it, it
 * is raised from here (last_traceback() has its traceback). Then the
 * nextTick queue is drained. */
static int l_invoke(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luatls_call(L, lua_gettop(L) - 1);
  raise_pending(L);
  return 0;
}

static int l_stop(lua_State *L) {
  (void)L;
  uv_stop(luatls_main_loop.uv);
  return 0;
}

static int l_alive(lua_State *L) {
  lua_pushboolean(L, uv_loop_alive(luatls_main_loop.uv));
  return 1;
}

static int l_running(lua_State *L) {
  lua_pushboolean(L, luatls_main_loop.running);
  return 1;
}

static int l_now(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)uv_now(luatls_main_loop.uv));
  return 1;
}

/* update_time() -> now: the loop's clock, brought up to date */
static int l_update_time(lua_State *L) {
  uv_update_time(luatls_main_loop.uv);
  lua_pushinteger(L, (lua_Integer)uv_now(luatls_main_loop.uv));
  return 1;
}

static int l_hrtime(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)uv_hrtime());
  return 1;
}

static int l_last_traceback(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "luatls.last_traceback");
  return 1;
}

/* walk([all]) -> list of { type=, handle=, active=, ref= } for every open
 * handle; the runtime's internal handles only when `all`. */
typedef struct {
  lua_State *L;
  int all, n;
} walk_ctx;

static void walk_cb(uv_handle_t *h, void *arg) {
  walk_ctx *w = arg;
  luatls_handle *rec = h->data;
  if (uv_is_closing(h))
    return;
  if ((rec == NULL || (rec->flags & LUATLS_F_INTERNAL)) && !w->all)
    return;
  lua_State *L = w->L;
  lua_createtable(L, 0, 4);
  lua_pushstring(L, uv_handle_type_name(uv_handle_get_type(h)));
  lua_setfield(L, -2, "type");
  if (rec && rec->ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, rec->ref);
    lua_setfield(L, -2, "handle");
  }
  lua_pushboolean(L, uv_is_active(h));
  lua_setfield(L, -2, "active");
  lua_pushboolean(L, uv_has_ref(h));
  lua_setfield(L, -2, "ref");
  lua_rawseti(L, -2, ++w->n);
}

static int l_walk(lua_State *L) {
  walk_ctx w = {L, lua_toboolean(L, 1), 0};
  lua_newtable(L);
  uv_walk(luatls_main_loop.uv, walk_cb, &w);
  return 1;
}

static int set_ref(lua_State *L, int *ref) {
  if (!lua_isnoneornil(L, 1))
    luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_unref(L, LUA_REGISTRYINDEX, *ref);
  lua_settop(L, 1);
  *ref = lua_isnil(L, 1) ? LUA_NOREF : luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

/* set_tick(fn): fn drains the nextTick queue; request_tick() asks for it. */
static int l_set_tick(lua_State *L) {
  return set_ref(L, &luatls_main_loop.tick_ref);
}
/* set_uncaught(fn): fn(err, traceback) -> true when it handled err. */
static int l_set_uncaught(lua_State *L) {
  return set_ref(L, &luatls_main_loop.uncaught_ref);
}

/* uncaught(err, traceback): err escaped code the loop did not call itself
 * (a task's coroutine that failed with nobody waiting for it): it goes
 * where an error escaping a callback goes, with the traceback given (the
 * raising line's, not the reporter's). */
static int l_uncaught(lua_State *L) {
  luaL_checkstring(L, 2);
  lua_settop(L, 2);
  lua_setfield(L, LUA_REGISTRYINDEX, "luatls.traceback");
  uncaught(L);
  return 0;
}

static int l_request_tick(lua_State *L) {
  (void)L;
  want_ticks();
  return 0;
}

/* C code whose handles are not Lua userdata (tls/router.c's connections)
 * closes them from a hook when the state closes, before the walk below
 * frees what is left as if each handle were a block of its own. */
#define MAX_CLOSE_HOOKS 4
static void (*close_hooks[MAX_CLOSE_HOOKS])(void);

void luatls_at_loop_close(void (*fn)(void)) {
  for (int i = 0; i < MAX_CLOSE_HOOKS; i++) {
    if (close_hooks[i] == fn)
      return;
    if (close_hooks[i] == NULL) {
      close_hooks[i] = fn;
      return;
    }
  }
  abort(); /* (a fixed list: one more C owner needs a larger one) */
}

/* The loop is closed when the Lua state closes: every handle's __gc has run
 * by then (this sentinel is made first, so it is finalized last), so only
 * close callbacks that free memory are left to run. */
static void close_walk(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) {
    luatls_handle *rec = h->data;
    if (rec)
      rec->h = NULL;
    h->data = NULL;
    uv_close(h, (uv_close_cb)free);
  }
}

static int sentinel_gc(lua_State *L) {
  (void)L;
  luatls_main_loop.gone = 1;
  luatls_main_loop.L = NULL;
  tick_idle = NULL; /* (closed and freed by close_walk) */
  for (int i = 0; i < MAX_CLOSE_HOOKS && close_hooks[i]; i++)
    close_hooks[i]();
  uv_walk(luatls_main_loop.uv, close_walk, NULL);
  uv_run(luatls_main_loop.uv, UV_RUN_DEFAULT);
  uv_loop_close(luatls_main_loop.uv);
  return 0;
}

void luatls_open_loop(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"run", l_run},
      {"invoke", l_invoke},
      {"stop", l_stop},
      {"alive", l_alive},
      {"running", l_running},
      {"now", l_now},
      {"update_time", l_update_time},
      {"hrtime", l_hrtime},
      {"walk", l_walk},
      {"last_traceback", l_last_traceback},
      {"set_tick", l_set_tick},
      {"set_uncaught", l_set_uncaught},
      {"uncaught", l_uncaught},
      {"request_tick", l_request_tick},
      {NULL, NULL},
  };
  if (luatls_main_loop.uv == NULL || luatls_main_loop.gone) {
    luatls_main_loop.uv = uv_default_loop();
    luatls_main_loop.gone = 0;
    luatls_main_loop.running = 0;
    luatls_main_loop.tick_pending = 0;
    luatls_main_loop.L = NULL;
    luatls_main_loop.tick_ref = luatls_main_loop.uncaught_ref = LUA_NOREF;
    luatls_main_loop.error_ref = luatls_main_loop.trace_ref = LUA_NOREF;
  }
  luaL_setfuncs(L, fns, 0);
  /* the sentinel lives in the registry, so it is collected at lua_close */
  lua_newuserdatauv(L, 1, 0);
  lua_newtable(L);
  lua_pushcfunction(L, sentinel_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, "luatls.loop_sentinel");
}
