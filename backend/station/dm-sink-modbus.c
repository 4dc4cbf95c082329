/* SPDX-License-Identifier: GPL-3.0-or-later */
/* modbus://HOST[:PORT]/UNIT[?coil=N&register=N] — the decision to a PLC
 * over Modbus TCP (libmodbus), two requests per part:
 *
 *   coils coil .. coil+3 (write multiple coils, FC 15):
 *     pass, uncertain, fail, error: exactly one is on
 *   holding registers register .. register+4 (write multiple registers,
 *   FC 16), written second, so a PLC that sees a new seq reads coils that
 *   are already set:
 *     +0      decision: 1 pass, 2 uncertain, 3 fail, 4 error
 *     +1, +2  the score as an IEEE 754 float, high word first (0 for errors)
 *     +3, +4  the part's seq, an unsigned 32-bit number, high word first
 *
 * PORT defaults to 502, UNIT to 1, coil and register to 0. A failed
 * request (a PLC that does not answer within 2 s, refuses, or is away)
 * stops the delivery at that part; the outbox loop reconnects with
 * back-off and writes it again. */
#include "dm-sink.h"

#include <errno.h>
#include <math.h>
#include <modbus.h>
#include <stdlib.h>
#include <string.h>

#include "dm-error.h"

typedef struct
{
  char *host, *port;
  int unit, coil, reg;
  modbus_t *ctx;
} Modbus;

static gboolean
modbus_fail (GError **error, DmSink *sink, const char *what)
{
  int saved = errno;

  g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: %s: %s", sink->uri, what,
               modbus_strerror (saved));
  return FALSE;
}

static gboolean
plc_open (DmSink *sink, GError **error)
{
  Modbus *m = sink->impl;

  m->ctx = modbus_new_tcp_pi (m->host, m->port);
  if (m->ctx == NULL)
    return modbus_fail (error, sink, "cannot make a Modbus context");
  modbus_set_slave (m->ctx, m->unit);
  modbus_set_response_timeout (m->ctx, 2, 0);
  if (modbus_connect (m->ctx) != 0)
    {
      gboolean ok = modbus_fail (error, sink, "cannot connect");

      modbus_free (m->ctx);
      m->ctx = NULL;
      return ok;
    }
  return TRUE;
}

static int
decision_code (const DmPart *p)
{
  if (p->is_error)
    return 4;
  switch (p->decision)
    {
    case DM_DECISION_PASS: return 1;
    case DM_DECISION_UNCERTAIN: return 2;
    case DM_DECISION_FAIL:
    default: return 3;
    }
}

static gboolean
plc_write (DmSink *sink, const DmPart *p, const GString *line, GError **error)
{
  Modbus *m = sink->impl;
  guint8 coils[4] = { 0 };
  guint16 regs[5];
  int code = decision_code (p);
  float score;
  guint32 bits;

  coils[code - 1] = 1;
  regs[0] = (guint16)code;
  /* by hand: libmodbus 3.1.6's modbus_set_float_abcd swaps the bytes of
   * each word (its get does not undo it) */
  score = p->is_error || !isfinite (p->score) ? 0.0f : p->score;
  memcpy (&bits, &score, sizeof bits);
  regs[1] = (guint16)(bits >> 16);
  regs[2] = (guint16)(bits & 0xffff);
  regs[3] = (guint16)((p->seq >> 16) & 0xffff);
  regs[4] = (guint16)(p->seq & 0xffff);
  if (modbus_write_bits (m->ctx, m->coil, 4, coils) != 4)
    return modbus_fail (error, sink, "cannot write the coils");
  if (modbus_write_registers (m->ctx, m->reg, 5, regs) != 5)
    return modbus_fail (error, sink, "cannot write the registers");
  return TRUE;
}

static gboolean
plc_deliver (DmSink *sink,
             DmPart *const *parts,
             const GString *const *lines,
             guint n,
             guint *n_done,
             GError **error)
{
  return dm_sink_deliver_each (sink, parts, lines, n, n_done, plc_write, error);
}

static void
plc_close (DmSink *sink)
{
  Modbus *m = sink->impl;

  if (m->ctx == NULL)
    return;
  modbus_close (m->ctx);
  modbus_free (m->ctx);
  m->ctx = NULL;
}

static void
plc_free (DmSink *sink)
{
  Modbus *m = sink->impl;

  plc_close (sink);
  g_free (m->host);
  g_free (m->port);
  g_free (m);
}

static const DmSinkOps modbus_ops = {
  .kind = "modbus",
  .open = plc_open,
  .deliver = plc_deliver,
  .close = plc_close,
  .free = plc_free,
};

/* A query member as an integer in [low, high], left as it is when absent;
 * FALSE for a bad value or a member that is not coil or register. */
static gboolean
query_int (GHashTable *query, const char *key, int low, int high, int *value)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, key) : NULL;
  guint64 v;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, (guint64)low, (guint64)high, &v, NULL))
    return FALSE;
  *value = (int)v;
  return TRUE;
}

static gboolean
known_members (GHashTable *query)
{
  GHashTableIter iter;
  gpointer key;

  if (query == NULL)
    return TRUE;
  g_hash_table_iter_init (&iter, query);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (strcmp (key, "coil") != 0 && strcmp (key, "register") != 0)
      return FALSE;
  return TRUE;
}

gboolean
dm_sink_modbus_init (DmSink *sink, GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (sink->uri, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GHashTable) query = NULL;
  const char *path = uri != NULL ? g_uri_get_path (uri) : NULL;
  int unit = 1, coil = 0, reg = 0;
  Modbus *m;

  if (uri != NULL && g_uri_get_query (uri) != NULL)
    query = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  while (path != NULL && *path == '/')
    path++;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || (path != NULL && *path != '\0'
          && !g_ascii_string_to_unsigned (path, 10, 0, 255, NULL, NULL))
      || !query_int (query, "coil", 0, 65531, &coil)
      || !query_int (query, "register", 0, 65530, &reg) || !known_members (query))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "output '%s': give modbus://HOST:PORT/UNIT (UNIT 0 to 255) with optional "
                   "?coil=N&register=N",
                   sink->uri);
      return FALSE;
    }
  if (path != NULL && *path != '\0')
    unit = atoi (path);
  m = g_new0 (Modbus, 1);
  m->host = g_strdup (g_uri_get_host (uri));
  m->port = g_strdup_printf ("%d", g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 502);
  m->unit = unit;
  m->coil = coil;
  m->reg = reg;
  sink->impl = m;
  sink->ops = &modbus_ops;
  return TRUE;
}
