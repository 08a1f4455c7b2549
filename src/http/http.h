/*
 * http/http.h - the parts of src/http/ that core.c opens (the HTTP/1
 * parser of parser.c). Included only inside src/http/ and by core.c.
 */
#ifndef LUATLS_HTTP_H
#define LUATLS_HTTP_H

#include "luatls.h"

void luatls_open_http_parser(lua_State *L);

#endif
