/*
 * tls/hello_hook.c - feature: clientHelloCallback (luatls's own, not
 * Node's), the server's first look at a ClientHello, as data: its hello
 * stage runs first of all (core.c's list puts the feature before the
 * session store and SNI).
 *
 * The bytes: OpenSSL keeps no copy of the ClientHello as it came, and its
 * accessors leave out the extensions it does not know (GREASE among them),
 * so the connection turns on its message callback (trace.c's, over
 * SSL_set_msg_callback) for itself only, and only when a
 * clientHelloCallback is set: the callback copies the first ClientHello
 * OpenSSL reads (the handshake message, the records already taken apart)
 * and stops capturing. A server without
 * clientHelloCallback pays nothing.
 *
 * The stage parses the copy with src/tls/hello.c and hands the table to Lua
 * as the connection's "clienthello" event, then returns
 * SSL_CLIENT_HELLO_RETRY until client_hello_done(context | nil[, err])
 * answers (a timer or a round trip later, as SNI may): a context to switch
 * to (as SNI's), nil to go on, or an error that ends the handshake with a
 * handshake_failure alert. A ClientHello OpenSSL took but hello.c refuses
 * (a duplicate unknown extension, an SSL 2.0-format hello) ends it with a
 * decode_error alert and hello.c's ERR_TLS_INVALID_CLIENT_HELLO error.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "tls.h"

static void release_raw(tls_conn *c) {
  free(c->inspect.raw);
  c->inspect.raw = NULL;
  c->inspect.len = 0;
}

static void hook_free(lua_State *L, tls_conn *c) {
  (void)L;
  release_raw(c);
  luatls_tls_context_free(&c->inspect.answer);
}

/* trace.c's message callback, while c->msg.capture: keep the first
 * ClientHello, then stop capturing */
void luatls_tls_capture_hello(tls_conn *c, int write_p, int content_type,
                              const void *buf, size_t len) {
  const unsigned char *p = buf;
  if (write_p || content_type != SSL3_RT_HANDSHAKE || len < 4 ||
      p[0] != SSL3_MT_CLIENT_HELLO)
    return;
  c->msg.capture = 0;
  luatls_tls_watch_messages(c);
  if (c->inspect.raw != NULL)
    return;
  c->inspect.raw = malloc(len);
  if (c->inspect.raw == NULL)
    return; /* the stage reports it */
  memcpy(c->inspect.raw, buf, len);
  c->inspect.len = len;
}

/* the table (1), or the error object (0), on the top */
static int push_table(lua_State *L, tls_conn *c) {
  if (c->inspect.raw == NULL) {
    luatls_push_error(L, "ERR_TLS_INVALID_CLIENT_HELLO",
                      "the ClientHello was not captured (an SSL 2.0-format "
                      "hello, or no memory)");
    return 0;
  }
  int ok = luatls_tls_push_hello(L, c->inspect.raw, c->inspect.len);
  release_raw(c);
  return ok;
}

/* the first stage of the ClientHello: hand its table to Lua, then apply
 * the answer */
static int inspect_hello(lua_State *L, tls_conn *c, SSL *ssl, int *al) {
  tls_ctx_hook *h = &c->inspect.answer;
  if (h->state == HOOK_NONE) {
    h->state = HOOK_WAITING;
    if (!push_table(L, c)) {
      luatls_tls_hook_error(L, c);
      *al = SSL_AD_DECODE_ERROR;
      return SSL_CLIENT_HELLO_ERROR;
    }
    if (luatls_tls_push_event(L, c, "clienthello")) {
      lua_rotate(L, -(2 + c->owner), -1); /* the table after the handler */
      luatls_call(L, 1 + c->owner);
    } else {
      lua_pop(L, 1);
      h->state = HOOK_ANSWERED; /* nobody to ask: go on */
    }
    if (luatls_tls_gone(c)) {
      *al = SSL_AD_INTERNAL_ERROR;
      return SSL_CLIENT_HELLO_ERROR;
    }
  }
  return luatls_tls_context_apply(c, ssl, h, al);
}

/* set_client_hello_hook(on): before the handshake starts, this server
 * connection captures its ClientHello for the "clienthello" event */
static int l_set_client_hello_hook(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  int on = lua_toboolean(L, 2) && c->is_server;
  luatls_tls_want_hello(c, &luatls_tls_hello_hook_feature, on);
  c->msg.capture = on;
  luatls_tls_watch_messages(c);
  return 0;
}

/* client_hello_done(context | nil[, err]): the answer to "clienthello";
 * false when the connection no longer waits */
static int l_client_hello_done(lua_State *L) {
  tls_conn *c = luaL_checkudata(L, 1, TLS_T);
  return luatls_tls_context_answer(L, c, &c->inspect.answer);
}

static const luaL_Reg methods[] = {
    {"set_client_hello_hook", l_set_client_hello_hook},
    {"client_hello_done", l_client_hello_done},
    {NULL, NULL},
};

const luatls_tls_feature luatls_tls_hello_hook_feature = {
    .name = "hello_hook",
    .methods = methods,
    .hello = inspect_hello,
    .free = hook_free,
};
