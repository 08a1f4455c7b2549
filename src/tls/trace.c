/*
 * tls/trace.c - feature: enableTrace, OpenSSL's protocol trace of a
 * connection (SSL_trace: every record and handshake message, decoded) on
 * stderr, as Node prints it for the enableTrace option, socket.enableTrace()
 * and --trace-tls.
 *
 * OpenSSL has one message callback per SSL (SSL_set_msg_callback), and two
 * features want it: this one and clientHelloCallback's capture of the
 * ClientHello's bytes (hello_hook.c). This file owns it: c->msg says who
 * wants the messages, luatls_tls_watch_messages() sets the callback while
 * one does and clears it when none does, so a connection that asks for
 * neither pays nothing.
 *
 * The trace is written through one BIO on stderr, shared by every
 * connection and flushed after each message. Writing may fail (stderr a
 * full non-blocking pipe): the trace is best effort, and what it leaves on
 * OpenSSL's error queue is popped, so that it never shows up as the error
 * of a later SSL call (Node does the same).
 *
 * Called by: conn.c's method table (enable_trace); hello_hook.c.
 */
#include <stdio.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls.h"

static BIO *trace_bio; /* stderr, made on first use; kept for the process */

static void on_message(int write_p, int version, int content_type,
                       const void *buf, size_t len, SSL *ssl, void *arg) {
  tls_conn *c = arg;
  if (c->msg.trace && trace_bio != NULL) {
    ERR_set_mark();
    SSL_trace(write_p, version, content_type, buf, len, ssl, trace_bio);
    (void)BIO_flush(trace_bio);
    ERR_pop_to_mark();
  }
  if (c->msg.capture)
    luatls_tls_capture_hello(c, write_p, content_type, buf, len);
}

void luatls_tls_watch_messages(tls_conn *c) {
  int on = c->msg.capture || c->msg.trace;
  SSL_set_msg_callback(c->ssl, on ? on_message : NULL);
  SSL_set_msg_callback_arg(c->ssl, on ? c : NULL);
}

/* enable_trace(): trace this connection from now on (raises when stderr
 * cannot be had as a BIO) */
static int l_enable_trace(lua_State *L) {
  tls_conn *c = luatls_tls_check(L, 1);
  if (trace_bio == NULL) {
    trace_bio = BIO_new_fp(stderr, BIO_NOCLOSE | BIO_FP_TEXT);
    if (trace_bio == NULL)
      return luatls_raise_openssl(L, NULL, "cannot trace to stderr");
  }
  c->msg.trace = 1;
  luatls_tls_watch_messages(c);
  return 0;
}

static const luaL_Reg methods[] = {
    {"enable_trace", l_enable_trace},
    {NULL, NULL},
};

const luatls_tls_feature luatls_tls_trace_feature = {
    .name = "trace",
    .methods = methods,
};
