/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Protocol Buffers messages built as trees and streamed (dm-protobuf-writer.h). */
#include "dm-protobuf-writer.h"

#include <string.h>

#include "dm-error.h"

enum
{
  WIRE_VARINT = 0,
  WIRE_LEN = 2,
  WIRE_FIXED32 = 5,
};

#define VARINT_MAX 10 /* 64 bits in 7-bit groups */

/* A length-delimited field whose bytes are not in the message's own
 * buffer: a nested message, or borrowed bytes. */
typedef struct
{
  gsize bytes_end; /* the message's own bytes that come before this part */
  guint field;
  DmProtoMessage *child; /* owned; NULL for borrowed bytes */
  const guint8 *data;
  gsize n;
} Part;

struct _DmProtoMessage
{
  GByteArray *bytes; /* every field encoded in place, but the parts */
  GArray *parts;     /* Part, in the order they were added */
  guint64 size;      /* the encoded size, set by measure () */
};

static void
part_clear (gpointer p)
{
  dm_proto_message_free (((Part *)p)->child);
}

DmProtoMessage *
dm_proto_message_new (void)
{
  DmProtoMessage *m = g_new0 (DmProtoMessage, 1);

  m->bytes = g_byte_array_new ();
  m->parts = g_array_new (FALSE, TRUE, sizeof (Part));
  g_array_set_clear_func (m->parts, part_clear);
  return m;
}

void
dm_proto_message_free (DmProtoMessage *m)
{
  if (m == NULL)
    return;
  g_array_unref (m->parts);
  g_byte_array_unref (m->bytes);
  g_free (m);
}

static guint
encode_varint (guint8 out[VARINT_MAX], guint64 v)
{
  guint n = 0;

  while (v >= 0x80)
    {
      out[n++] = (guint8)(v | 0x80);
      v >>= 7;
    }
  out[n++] = (guint8)v;
  return n;
}

static guint
varint_size (guint64 v)
{
  guint8 tmp[VARINT_MAX];

  return encode_varint (tmp, v);
}

static void
put_varint (DmProtoMessage *m, guint64 v)
{
  guint8 tmp[VARINT_MAX];

  g_byte_array_append (m->bytes, tmp, encode_varint (tmp, v));
}

static guint64
key_of (guint field, guint wire_type)
{
  g_return_val_if_fail (field >= 1 && field < (1u << 29), 0);
  return (guint64)field << 3 | wire_type;
}

void
dm_proto_add_uint (DmProtoMessage *m, guint field, guint64 value)
{
  put_varint (m, key_of (field, WIRE_VARINT));
  put_varint (m, value);
}

void
dm_proto_add_int (DmProtoMessage *m, guint field, gint64 value)
{
  /* int32 and int64 alike: sign-extended to 64 bits */
  dm_proto_add_uint (m, field, (guint64)value);
}

void
dm_proto_add_float (DmProtoMessage *m, guint field, float value)
{
  guint32 bits;
  guint8 le[4];

  memcpy (&bits, &value, sizeof bits);
  for (int i = 0; i < 4; i++)
    le[i] = (guint8)(bits >> (8 * i));
  put_varint (m, key_of (field, WIRE_FIXED32));
  g_byte_array_append (m->bytes, le, 4);
}

void
dm_proto_add_bytes (DmProtoMessage *m, guint field, const void *data, gsize n)
{
  put_varint (m, key_of (field, WIRE_LEN));
  put_varint (m, n);
  if (n > 0)
    g_byte_array_append (m->bytes, data, (guint)n);
}

void
dm_proto_add_string (DmProtoMessage *m, guint field, const char *value)
{
  dm_proto_add_bytes (m, field, value, strlen (value));
}

void
dm_proto_add_bytes_borrowed (DmProtoMessage *m, guint field, const void *data, gsize n)
{
  Part part = { m->bytes->len, field, NULL, data, n };

  key_of (field, WIRE_LEN); /* checks the field number */
  g_array_append_val (m->parts, part);
}

DmProtoMessage *
dm_proto_add_message (DmProtoMessage *m, guint field)
{
  Part part = { m->bytes->len, field, dm_proto_message_new (), NULL, 0 };

  key_of (field, WIRE_LEN);
  g_array_append_val (m->parts, part);
  return part.child;
}

/* The length of a part's value. */
static guint64
part_length (const Part *p)
{
  return p->child != NULL ? p->child->size : p->n;
}

/* Sizes every message of the tree, children first, into ->size. */
static guint64
measure (DmProtoMessage *m)
{
  guint64 size = m->bytes->len;

  for (guint i = 0; i < m->parts->len; i++)
    {
      Part *p = &g_array_index (m->parts, Part, i);

      if (p->child != NULL)
        measure (p->child);
      size += varint_size (key_of (p->field, WIRE_LEN)) + varint_size (part_length (p))
              + part_length (p);
    }
  m->size = size;
  return size;
}

guint64
dm_proto_message_size (DmProtoMessage *m)
{
  return measure (m);
}

/* Small writes gathered into blocks before they reach the sink. */
#define BUFFER_SIZE (64 * 1024)

typedef struct
{
  DmByteSink sink;
  gpointer user_data;
  guint8 *buf;
  gsize len;
} Out;

static gboolean
flush (Out *out, GError **error)
{
  gboolean ok = out->len == 0 || out->sink (out->user_data, out->buf, out->len, error);

  out->len = 0;
  return ok;
}

static gboolean
emit (Out *out, const guint8 *data, gsize n, GError **error)
{
  if (n == 0) /* data may be NULL then (an empty message's buffer) */
    return TRUE;
  if (out->len + n > BUFFER_SIZE)
    {
      if (!flush (out, error))
        return FALSE;
      if (n > BUFFER_SIZE)
        return out->sink (out->user_data, data, n, error);
    }
  memcpy (out->buf + out->len, data, n);
  out->len += n;
  return TRUE;
}

static gboolean
emit_varint (Out *out, guint64 v, GError **error)
{
  guint8 tmp[VARINT_MAX];

  return emit (out, tmp, encode_varint (tmp, v), error);
}

/* Writes a measured message: its own bytes up to each part, the part's
 * key and length, the part's bytes, and so on. */
static gboolean
write_message (Out *out, const DmProtoMessage *m, GError **error)
{
  gsize at = 0;

  for (guint i = 0; i < m->parts->len; i++)
    {
      const Part *p = &g_array_index (m->parts, Part, i);

      if (!emit (out, m->bytes->data + at, p->bytes_end - at, error)
          || !emit_varint (out, key_of (p->field, WIRE_LEN), error)
          || !emit_varint (out, part_length (p), error))
        return FALSE;
      at = p->bytes_end;
      if (p->child != NULL ? !write_message (out, p->child, error)
                           : !emit (out, p->data, p->n, error))
        return FALSE;
    }
  return emit (out, m->bytes->data + at, m->bytes->len - at, error);
}

gboolean
dm_proto_message_write (DmProtoMessage *m, DmByteSink sink, gpointer user_data, GError **error)
{
  g_autofree guint8 *buf = NULL;
  guint64 size = measure (m);
  Out out = { sink, user_data, NULL, 0 };

  if (size > DM_PROTOBUF_MAX_SIZE)
    {
      g_autofree char *human = g_format_size (size);

      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "the message is %s: Protocol Buffers readers take at most 2 GiB", human);
      return FALSE;
    }
  buf = g_malloc (BUFFER_SIZE);
  out.buf = buf;
  return write_message (&out, m, error) && flush (&out, error);
}
