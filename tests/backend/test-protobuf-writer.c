/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Protocol Buffers writer against encodings worked out by hand from
 * the wire-format specification (the examples of
 * protobuf.dev/programming-guides/encoding among them): varints, negative
 * int64, fixed32 floats, strings, nested messages with multi-byte
 * lengths, borrowed bytes larger than the write buffer, the order of
 * fields, the size limit and a failing sink. The ONNX files built on it
 * are decoded by the onnx package in tests/export. */
#include <string.h>

#include "dm-error.h"
#include "dm-protobuf-writer.h"
#include "dm-zip-writer.h"

/* The message's bytes, checking that its size is what was written. */
static GByteArray *
encode (DmProtoMessage *m)
{
  g_autoptr (GError) error = NULL;
  GByteArray *out = g_byte_array_new ();

  g_assert_true (dm_proto_message_write (m, dm_byte_array_sink, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dm_proto_message_size (m), ==, out->len);
  return out;
}

static void
assert_bytes (GByteArray *got, const guint8 *want, gsize n)
{
  g_assert_cmpmem (got->data, got->len, want, n);
}

static void
test_scalars (void)
{
  g_autoptr (DmProtoMessage) m = dm_proto_message_new ();
  g_autoptr (GByteArray) out = NULL;
  const guint8 want[] = {
    0x08, 0x96, 0x01, /* field 1 varint 150: the specification's example */
    0x10, 0x00,       /* field 2 varint 0 */
    0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* field 3 int64 -1 */
    0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* field 4 uint64 max */
    0x2d, 0x00, 0x00, 0x80, 0x3f,                                     /* field 5 float 1.0 */
    0x35, 0x00, 0x00, 0xc0, 0xff,       /* field 6 float, the bits 0xffc00000 (a NaN) as they are */
    0x80, 0x80, 0x80, 0x80, 0x08, 0x07, /* field 2^28: key 2^31 in five bytes, value 7 */
  };

  dm_proto_add_uint (m, 1, 150);
  dm_proto_add_uint (m, 2, 0);
  dm_proto_add_int (m, 3, -1);
  dm_proto_add_uint (m, 4, G_MAXUINT64);
  dm_proto_add_float (m, 5, 1.0f);
  {
    guint32 bits = 0xffc00000u;
    float v;

    memcpy (&v, &bits, sizeof v);
    dm_proto_add_float (m, 6, v);
  }
  dm_proto_add_uint (m, 1u << 28, 7);
  out = encode (m);
  assert_bytes (out, want, sizeof want);
}

static void
test_strings_and_messages (void)
{
  g_autoptr (DmProtoMessage) m = dm_proto_message_new ();
  g_autoptr (GByteArray) out = NULL;
  DmProtoMessage *child, *grandchild;
  const guint8 want[] = {
    0x12, 0x07, 't',  'e',  's',  't',  'i', 'n', 'g', /* field 2 "testing": the spec's example */
    0x1a, 0x03, 0x08, 0x96, 0x01,                      /* field 3 { field 1: 150 } */
    0x22, 0x00,                                        /* field 4 empty bytes */
    0x2a, 0x04, 0x0a, 0x02, 0x10, 0x05,                /* field 5 { field 1 { field 2: 5 } } */
    0x30, 0x09,                                        /* field 6 varint after the parts */
  };

  dm_proto_add_string (m, 2, "testing");
  child = dm_proto_add_message (m, 3);
  dm_proto_add_bytes (m, 4, NULL, 0);
  grandchild = dm_proto_add_message (dm_proto_add_message (m, 5), 1);
  dm_proto_add_uint (m, 6, 9);
  /* nested messages are filled after they were added */
  dm_proto_add_uint (child, 1, 150);
  dm_proto_add_uint (grandchild, 2, 5);
  out = encode (m);
  assert_bytes (out, want, sizeof want);
}

/* Borrowed bytes between fields, one larger than the 64 KiB write buffer,
 * inside a nested message whose length takes three varint bytes. */
static void
test_borrowed_and_long_lengths (void)
{
  g_autoptr (DmProtoMessage) m = dm_proto_message_new ();
  g_autoptr (GByteArray) out = NULL;
  gsize big = 100000, small = 200;
  g_autofree guint8 *blob = g_malloc (big);
  DmProtoMessage *child;
  gsize inner = 1 + 3 + big + 2; /* key, length 100000 (3 bytes), data, field 2 */
  const guint8 *p;

  for (gsize i = 0; i < big; i++)
    blob[i] = (guint8)(i * 7 + 3);
  dm_proto_add_uint (m, 1, 1);
  dm_proto_add_bytes_borrowed (m, 2, blob, small);
  child = dm_proto_add_message (m, 3);
  dm_proto_add_bytes_borrowed (child, 1, blob, big);
  dm_proto_add_uint (child, 2, 4);
  dm_proto_add_uint (m, 4, 2);
  out = encode (m);

  p = out->data;
  g_assert_cmpuint (out->len, ==, 2 + 2 + 1 + small + 1 + 3 + inner + 2);
  g_assert_cmpuint (p[0], ==, 0x08);
  g_assert_cmpuint (p[1], ==, 0x01);
  g_assert_cmpuint (p[2], ==, 0x12);
  g_assert_cmpuint (p[3], ==, 0xc8); /* 200 = 0x48 | 0x80, then 1 */
  g_assert_cmpuint (p[4], ==, 0x01);
  g_assert_cmpmem (p + 5, small, blob, small);
  p += 5 + small;
  g_assert_cmpuint (p[0], ==, 0x1a);
  /* 100006 = 0x186a6: 0xa6, 0x8d, 0x06 */
  g_assert_cmpuint (inner, ==, 100006);
  g_assert_cmpuint (p[1], ==, 0xa6);
  g_assert_cmpuint (p[2], ==, 0x8d);
  g_assert_cmpuint (p[3], ==, 0x06);
  p += 4;
  g_assert_cmpuint (p[0], ==, 0x0a);
  g_assert_cmpuint (p[1], ==, 0xa0); /* 100000 = 0x186a0 */
  g_assert_cmpuint (p[2], ==, 0x8d);
  g_assert_cmpuint (p[3], ==, 0x06);
  g_assert_cmpmem (p + 4, big, blob, big);
  p += 4 + big;
  g_assert_cmpuint (p[0], ==, 0x10);
  g_assert_cmpuint (p[1], ==, 0x04);
  g_assert_cmpuint (p[2], ==, 0x20);
  g_assert_cmpuint (p[3], ==, 0x02);
}

static gboolean
refusing_sink (gpointer user_data, const void *data, gsize n, GError **error)
{
  guint *calls = user_data;

  (*calls)++;
  g_set_error (error, DM_ERROR, DM_ERROR_IO, "out.bin: disk full");
  return FALSE;
}

/* Over 2 GiB: refused before a byte reaches the sink (the borrowed bytes
 * are never read: only their length counts). */
static void
test_too_large (void)
{
  g_autoptr (DmProtoMessage) m = dm_proto_message_new ();
  g_autoptr (GError) error = NULL;
  static const guint8 tiny[1];
  guint calls = 0;

  dm_proto_add_uint (m, 1, 1);
  dm_proto_add_bytes_borrowed (m, 2, tiny, (gsize)3 << 30);
  g_assert_cmpuint (dm_proto_message_size (m), >, DM_PROTOBUF_MAX_SIZE);
  g_assert_false (dm_proto_message_write (m, refusing_sink, &calls, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "2 GiB"));
  g_assert_cmpuint (calls, ==, 0);
}

static void
test_sink_failure (void)
{
  g_autoptr (DmProtoMessage) m = dm_proto_message_new ();
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *blob = g_malloc0 (200000);
  guint calls = 0;

  dm_proto_add_string (m, 1, "head");
  dm_proto_add_bytes_borrowed (m, 2, blob, 200000);
  g_assert_false (dm_proto_message_write (m, refusing_sink, &calls, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_IO);
  g_assert_cmpstr (error->message, ==, "out.bin: disk full");
  g_assert_cmpuint (calls, ==, 1); /* stopped at the first refusal */
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protobuf/scalars", test_scalars);
  g_test_add_func ("/protobuf/strings-and-messages", test_strings_and_messages);
  g_test_add_func ("/protobuf/borrowed-and-long-lengths", test_borrowed_and_long_lengths);
  g_test_add_func ("/protobuf/too-large", test_too_large);
  g_test_add_func ("/protobuf/sink-failure", test_sink_failure);
  return g_test_run ();
}
