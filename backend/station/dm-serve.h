/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly serve`: the station behind an HTTP API (libsoup 3), for
 * systems that push images. Every upload is a part of the station (one
 * journal record, the same outputs):
 *
 *   POST /v1/inspect[?class=NAME&map=1]   body: PNG, TIFF or JPEG bytes
 *        200 the record as JSON (dm-part.h), plus with map=1
 *            "map": {"size": 256, "dtype": "float32",
 *                    "data": base64 of the little-endian floats, row by row}
 *        400 unknown class, 401 no or a wrong bearer token, 411 no
 *        Content-Length, 413 a body over the size limit or an image over
 *        the pixel limit, 415 not a PNG, TIFF or JPEG image, 422 an image
 *        that does not decode (the error record), 503 too many requests
 *        at once, or the station is not taking parts (Retry-After: 1)
 *   GET /v1/health   {"status", "accepting", "model_sha256", "classes",
 *                    "last_seq"}; 503 while not accepting
 *   GET /metrics     Prometheus text: parts per decision, errors, the
 *                    latency histogram, queue depths, output backlogs
 *
 * It listens on 127.0.0.1 unless told otherwise; on any other address a
 * bearer token is required (Authorization: Bearer TOKEN) on every path.
 * Limits are checked when the headers arrive: a refused body is read and
 * dropped, never kept. The server runs in the main context that is the
 * thread's default when it is made. */
#pragma once

#include "dm-station.h"

G_BEGIN_DECLS

typedef struct _DmServer DmServer;

typedef struct
{
  const char *address; /* "127.0.0.1" */
  int port;            /* 0: a free one (dm_server_get_port) */
  const char *token;   /* or NULL: refused for a non-loopback address */
  guint64 max_body;    /* bytes (32 MiB) */
  guint max_in_flight; /* uploads being scored at once (16) */
} DmServeSettings;

void dm_serve_settings_init (DmServeSettings *settings);

DmServer *dm_server_new (DmStation *station, const DmServeSettings *settings, GError **error);
int dm_server_get_port (DmServer *server);
void dm_server_free (DmServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmServer, dm_server_free)

G_END_DECLS
