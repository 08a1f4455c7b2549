/*
 * crypto/job.c - crypto work that may run on libuv's thread pool (key
 * derivation in kdf.c, key generation in pkey.c): the one place that
 * decides between "now" and "on the pool, then the callback".
 *
 * A job is a struct that starts with a luatls_job and carries its inputs
 * and outputs as plain C data (never the Lua state: `run` may be on another
 * thread). luatls_crypto_submit runs it at once when there is no callback
 * (returns its results or raises its error), or queues it and calls
 * cb(err) or cb(nil, results...) from the loop.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static void work_cb(uv_work_t *w) {
  luatls_job *job = (luatls_job *)w;
  job->run(job);
}

static void after_cb(uv_work_t *w, int status) {
  luatls_job *job = (luatls_job *)w;
  luatls_req *r = w->data;
  lua_State *L = luatls_state();
  if (!luatls_req_take_cb(L, r)) {
    job->free(job);
    return;
  }
  int n;
  if (status < 0) { /* cancelled */
    luatls_push_uv_error(L, status, "queue_work", NULL);
    n = 1;
  } else {
    n = job->push(L, job);
  }
  job->free(job);
  luatls_call(L, n);
}

int luatls_crypto_submit(lua_State *L, luatls_job *job, size_t size,
                         int cbidx) {
  if (!lua_isfunction(L, cbidx)) {
    job->run(job);
    int n = job->push(L, job);
    job->free(job);
    if (n == 1 && !lua_isnil(L, -1))
      return lua_error(L);
    return n - 1; /* the results after the nil */
  }
  /* the job moves into the request's allocation (the record sits past it);
   * its buffers go with it */
  luatls_req *r;
  luatls_job *q = luatls_req_new(L, size, &r, cbidx);
  memcpy(q, job, size);
  free(job);
  q->work.data = r;
  int err = uv_queue_work(luatls_main_loop.uv, &q->work, work_cb, after_cb);
  if (err < 0) {
    luatls_req_release(L, r);
    q->free(q);
    luatls_push_uv_error(L, err, "queue_work", NULL);
    return lua_error(L);
  }
  return 0;
}
