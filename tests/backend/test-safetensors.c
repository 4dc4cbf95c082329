/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the safetensors reader and writer: exact F16/BF16 widening,
 * round trips, every malformed header, atomic writes. */
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-safetensors-writer.h"
#include "dm-safetensors.h"
#include "dm-test-util.h"

static char *tmpdir;

static guint32
bits_of (float f)
{
  guint32 b;

  memcpy (&b, &f, 4);
  return b;
}

static float
float_of (guint32 b)
{
  float f;

  memcpy (&f, &b, 4);
  return f;
}

/* Every half widens to the value its bits mean; every non-NaN half comes
 * back unchanged. */
static void
test_f16_exhaustive (void)
{
  for (guint32 h = 0; h < 65536; h++)
    {
      int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
      double sign = (h & 0x8000) ? -1.0 : 1.0;
      float f = dm_f16_to_f32 ((guint16)h);

      if (exp == 31)
        {
          if (mant == 0)
            g_assert_true (isinf (f) && (f < 0) == ((h & 0x8000) != 0));
          else
            {
              g_assert_true (isnan (f));
              g_assert_cmphex (bits_of (f) & 0x7fffff, ==, (guint32)mant << 13); /* payload kept */
              g_assert_true ((dm_f32_to_f16 (f) & 0x7fff) > 0x7c00);             /* still NaN */
            }
          if (mant == 0)
            g_assert_cmphex (dm_f32_to_f16 (f), ==, h);
          continue;
        }
      double want = exp == 0 ? sign * ldexp (mant, -24) : sign * ldexp (1024 + mant, exp - 25);
      g_assert_cmpfloat ((double)f, ==, want);
      g_assert_true ((signbit (f) != 0) == ((h & 0x8000) != 0));
      g_assert_cmphex (dm_f32_to_f16 (f), ==, h);
    }
}

/* Narrowing: round to nearest even, overflow to inf, underflow to 0. */
static void
test_f16_rounding (void)
{
  g_assert_cmphex (dm_f32_to_f16 (1.0f + ldexpf (1, -11)), ==, 0x3c00);     /* tie -> even */
  g_assert_cmphex (dm_f32_to_f16 (1.0f + 3 * ldexpf (1, -11)), ==, 0x3c02); /* tie -> even */
  g_assert_cmphex (dm_f32_to_f16 (1.0f + ldexpf (1, -11) + ldexpf (1, -20)), ==, 0x3c01);
  g_assert_cmphex (dm_f32_to_f16 (65504.0f), ==, 0x7bff);
  g_assert_cmphex (dm_f32_to_f16 (65519.0f), ==, 0x7bff);
  g_assert_cmphex (dm_f32_to_f16 (65520.0f), ==, 0x7c00);
  g_assert_cmphex (dm_f32_to_f16 (-1e10f), ==, 0xfc00);
  g_assert_cmphex (dm_f32_to_f16 (ldexpf (1, -24)), ==, 0x0001);
  g_assert_cmphex (dm_f32_to_f16 (ldexpf (1, -25)), ==, 0x0000); /* tie -> even 0 */
  g_assert_cmphex (dm_f32_to_f16 (ldexpf (1.0001f, -25)), ==, 0x0001);
  g_assert_cmphex (dm_f32_to_f16 (ldexpf (3, -25)), ==, 0x0002); /* 1.5 ulp -> 2 */
  g_assert_cmphex (dm_f32_to_f16 (ldexpf (1, -14) - ldexpf (1, -25)), ==, 0x0400); /* -> normal */
  g_assert_cmphex (dm_f32_to_f16 (1e-30f), ==, 0x0000);
  g_assert_cmphex (dm_f32_to_f16 (-1e-30f), ==, 0x8000);
  g_assert_cmphex (dm_f32_to_f16 (float_of (0x00000001)), ==, 0x0000);

  /* Random floats over the half range: the result is a nearest half. */
  {
    float x[20000];
    dm_test_fill_uniform (x, G_N_ELEMENTS (x), -1, 1, 3);
    for (guint i = 0; i < G_N_ELEMENTS (x); i++)
      {
        float f = ldexpf (x[i], (int)(i % 40) - 24);
        guint16 h = dm_f32_to_f16 (f);
        double err = fabs ((double)dm_f16_to_f32 (h) - f);
        double up = fabs ((double)dm_f16_to_f32 ((guint16)(h + 1)) - f);
        double down
          = (h & 0x7fff) == 0 ? INFINITY : fabs ((double)dm_f16_to_f32 ((guint16)(h - 1)) - f);
        g_assert_cmpfloat (err, <=, up);
        g_assert_cmpfloat (err, <=, down);
      }
  }
}

static void
test_bf16 (void)
{
  for (guint32 b = 0; b < 65536; b++)
    {
      float f = dm_bf16_to_f32 ((guint16)b);
      g_assert_cmphex (bits_of (f), ==, b << 16);
      if (!isnan (f))
        g_assert_cmphex (dm_f32_to_bf16 (f), ==, b);
      else
        g_assert_true (isnan (dm_bf16_to_f32 (dm_f32_to_bf16 (f))));
    }
  g_assert_cmphex (dm_f32_to_bf16 (float_of (0x3f808000)), ==, 0x3f80); /* tie -> even */
  g_assert_cmphex (dm_f32_to_bf16 (float_of (0x3f818000)), ==, 0x3f82); /* tie -> even */
  g_assert_cmphex (dm_f32_to_bf16 (float_of (0x3f808001)), ==, 0x3f81);
  g_assert_cmphex (dm_f32_to_bf16 (float_of (0x7f7fffff)), ==, 0x7f80); /* overflow -> inf */
  g_assert_true (isnan (dm_bf16_to_f32 (dm_f32_to_bf16 (float_of (0x7f800001))))); /* NaN stays */
}

static void
test_round_trip (void)
{
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  g_autoptr (DmSafetensors) st = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "round-trip.safetensors", NULL);
  float a[6], b[12], back[12], scalar = 3.5f;
  guint8 u8[5] = { 0, 1, 2, 254, 255 };
  gint64 i64[2] = { -5, G_GINT64_CONSTANT (1) << 40 };
  const DmTensorInfo *t;

  dm_test_fill_uniform (a, 6, -2, 2, 1);
  for (int i = 0; i < 12; i++) /* representable in both 16-bit formats */
    b[i] = (float)(i - 6) / 8.0f;
  g_assert_true (
    dm_safetensors_writer_add_f32 (w, "a", DM_DTYPE_F32, a, 2, (gint64[]){ 2, 3 }, &error));
  g_assert_true (
    dm_safetensors_writer_add_f32 (w, "b16", DM_DTYPE_F16, b, 3, (gint64[]){ 2, 3, 2 }, &error));
  g_assert_true (
    dm_safetensors_writer_add_f32 (w, "bb16", DM_DTYPE_BF16, b, 1, (gint64[]){ 12 }, &error));
  g_assert_true (
    dm_safetensors_writer_add_raw (w, "u8", DM_DTYPE_U8, u8, 1, (gint64[]){ 5 }, &error));
  g_assert_true (
    dm_safetensors_writer_add_raw (w, "i64", DM_DTYPE_I64, i64, 1, (gint64[]){ 2 }, &error));
  g_assert_true (
    dm_safetensors_writer_add_f32 (w, "scalar", DM_DTYPE_F32, &scalar, 0, NULL, &error));
  g_assert_true (
    dm_safetensors_writer_add_f32 (w, "empty", DM_DTYPE_F32, NULL, 2, (gint64[]){ 0, 4 }, &error));
  g_assert_no_error (error);
  dm_safetensors_writer_set_metadata (w, "zeta", "last");
  dm_safetensors_writer_set_metadata (w, "alpha", "first");
  dm_safetensors_writer_set_metadata (w, "zeta", "replaced");
  g_assert_true (dm_safetensors_writer_write (w, path, &error));
  g_assert_no_error (error);

  st = dm_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dm_safetensors_header_size (st) % 8, ==, 0);
  g_assert_cmpuint (dm_safetensors_n_tensors (st), ==, 7);
  g_assert_cmpstr (dm_safetensors_metadata (st, "zeta"), ==, "replaced");
  g_assert_cmpstr (dm_safetensors_metadata (st, "alpha"), ==, "first");
  g_assert_null (dm_safetensors_metadata (st, "beta"));
  g_assert_cmpstr (dm_safetensors_metadata_keys (st)[0], ==, "alpha");
  g_assert_cmpstr (dm_safetensors_metadata_keys (st)[1], ==, "zeta");
  g_assert_null (dm_safetensors_metadata_keys (st)[2]);

  t = dm_safetensors_find (st, "b16");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, DM_DTYPE_F16);
  g_assert_cmpint (t->rank, ==, 3);
  g_assert_cmpint (t->shape[2], ==, 2);
  g_assert_cmpuint (t->n_elements, ==, 12);
  g_assert_true (dm_safetensors_read_f32 (st, "a", back, 6, &error));
  g_assert_cmpmem (back, sizeof a, a, sizeof a);
  g_assert_true (dm_safetensors_read_f32 (st, "b16", back, 12, &error));
  g_assert_cmpmem (back, sizeof b, b, sizeof b);
  g_assert_true (dm_safetensors_read_f32 (st, "bb16", back, 12, &error));
  g_assert_cmpmem (back, sizeof b, b, sizeof b);
  g_assert_true (
    dm_safetensors_read_f32_range (st, dm_safetensors_find (st, "bb16"), 10, 2, back, &error));
  g_assert_cmpfloat (back[0], ==, b[10]);
  g_assert_cmpfloat (back[1], ==, b[11]);
  g_assert_true (dm_safetensors_read_f32 (st, "scalar", back, 1, &error));
  g_assert_cmpfloat (back[0], ==, 3.5f);
  g_assert_true (dm_safetensors_read_f32 (st, "empty", back, 0, &error));
  g_assert_no_error (error);
  t = dm_safetensors_find (st, "u8");
  g_assert_cmpint (t->dtype, ==, DM_DTYPE_U8);
  g_assert_cmpmem (dm_safetensors_tensor_bytes (st, t), 5, u8, 5);
  t = dm_safetensors_find (st, "i64");
  g_assert_cmpint (t->dtype, ==, DM_DTYPE_I64);
  g_assert_cmpmem (dm_safetensors_tensor_bytes (st, t), 16, i64, 16);

  /* Reading errors name the file and the tensor. */
  g_assert_false (dm_safetensors_read_f32 (st, "u8", back, 5, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "'u8' is U8"));
  g_clear_error (&error);
  g_assert_false (dm_safetensors_read_f32 (st, "a", back, 5, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "(2, 3)"));
  g_clear_error (&error);
  g_assert_false (dm_safetensors_read_f32 (st, "nope", back, 5, &error));
  g_assert_nonnull (strstr (error->message, "no tensor 'nope'"));
  g_clear_error (&error);
  g_assert_false (
    dm_safetensors_read_f32_range (st, dm_safetensors_find (st, "a"), 4, 3, back, &error));
  g_clear_error (&error);
}

/* Writes [u64 n][header][data] to a file. */
static char *
write_raw (const char *name, guint64 n, const char *header, const void *data, gsize data_size)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  char *path = g_build_filename (tmpdir, name, NULL);
  guint8 len[8];
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < 8; i++)
    len[i] = (n >> (8 * i)) & 0xff;
  g_byte_array_append (bytes, len, 8);
  if (header != NULL)
    g_byte_array_append (bytes, (const guint8 *)header, strlen (header));
  if (data_size > 0)
    g_byte_array_append (bytes, data, data_size);
  g_file_set_contents (path, (const char *)bytes->data, bytes->len, &error);
  g_assert_no_error (error);
  return path;
}

/* The header key order carries no meaning. */
static void
test_key_order (void)
{
  const char *h1 = "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                   "\"__metadata__\":{\"k\":\"v\"},"
                   "\"a\":{\"data_offsets\":[0,8],\"shape\":[2],\"dtype\":\"F32\"}}";
  const char *h2 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                   "\"b\":{\"shape\":[2],\"data_offsets\":[8,16],\"dtype\":\"F32\"},"
                   "\"__metadata__\":{\"k\":\"v\"}}";
  float data[4] = { 1, 2, 3, 4 }, back[2];
  g_autofree char *p1 = write_raw ("order1.safetensors", strlen (h1), h1, data, sizeof data);
  g_autofree char *p2 = write_raw ("order2.safetensors", strlen (h2), h2, data, sizeof data);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) s1 = dm_safetensors_open (p1, &error);
  g_autoptr (DmSafetensors) s2 = dm_safetensors_open (p2, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpstr (dm_safetensors_tensor (s1, i)->name, ==, i == 0 ? "a" : "b");
      g_assert_cmpstr (dm_safetensors_tensor (s2, i)->name, ==, i == 0 ? "a" : "b");
    }
  g_assert_true (dm_safetensors_read_f32 (s1, "b", back, 2, &error));
  g_assert_cmpfloat (back[0], ==, 3);
  g_assert_cmpstr (dm_safetensors_metadata (s1, "k"), ==, "v");
}

typedef struct
{
  const char *what;
  const char *header; /* NULL: raw bytes below */
  gsize data_size;
  const char *expect; /* a part of the message */
  const char *tensor; /* the tensor the message must name, or NULL */
} BadCase;

static void
test_malformed (void)
{
  static const BadCase cases[] = {
    { "bad JSON", "{\"a\": {\"dtype\": \"F32\",", 0, "not valid JSON", NULL },
    { "not an object", "[1, 2, 3]", 0, "not a JSON object", NULL },
    { "entry not an object", "{\"w\": 5}", 0, "not a JSON object", "'w'" },
    { "no dtype", "{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "no \"dtype\"", "'w'" },
    { "no shape", "{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 4, "no \"shape\"",
      "'w'" },
    { "no offsets", "{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4, "no \"data_offsets\"",
      "'w'" },
    { "dtype not a string", "{\"w\": {\"dtype\": 7, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
      "\"dtype\" is not a string", "'w'" },
    { "unknown dtype", "{\"w\": {\"dtype\": \"F128\", \"shape\": [1], \"data_offsets\": [0, 4]}}",
      4, "unknown dtype \"F128\"", "'w'" },
    { "shape not an array", "{\"w\": {\"dtype\": \"F32\", \"shape\": 1, \"data_offsets\": [0, 4]}}",
      4, "\"shape\" is not an array", "'w'" },
    { "negative dimension",
      "{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4,
      "shape entry 0 is not a non-negative integer", "'w'" },
    { "fractional dimension",
      "{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", 4,
      "shape entry 0 is not a non-negative integer", "'w'" },
    { "string dimension",
      "{\"w\": {\"dtype\": \"F32\", \"shape\": [\"1\"], \"data_offsets\": [0, 4]}}", 4,
      "not a non-negative integer", "'w'" },
    { "rank 9",
      "{\"w\": {\"dtype\": \"U8\", \"shape\": [1,1,1,1,1,1,1,1,1], \"data_offsets\": [0, 1]}}", 1,
      "rank 9 is above the limit", "'w'" },
    { "offsets not a pair", "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}",
      4, "not an array of two integers", "'w'" },
    { "negative offset", "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}",
      4, "not non-negative integers", "'w'" },
    { "offsets reversed", "{\"w\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [4, 0]}}",
      4, "end before they begin", "'w'" },
    { "offsets outside", "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}",
      4, "run past the data section (4 bytes)", "'w'" },
    { "truncated data",
      "{\"w\": {\"dtype\": \"F32\", \"shape\": [100], \"data_offsets\": [0, 400]}}", 399,
      "run past the data section", "'w'" },
    { "size != shape x dtype",
      "{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8,
      "8 bytes of data, but shape (3) of F32 needs 12", "'w'" },
    { "F16 size", "{\"w\": {\"dtype\": \"F16\", \"shape\": [2, 2], \"data_offsets\": [0, 16]}}", 16,
      "needs 8", "'w'" },
    { "overlap",
      "{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
      " \"y\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}",
      12, "overlap", "'y'" },
    { "overlap inside",
      "{\"x\": {\"dtype\": \"U8\", \"shape\": [12], \"data_offsets\": [0, 12]},"
      " \"z\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [2, 4]},"
      " \"y\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [6, 8]}}",
      12, "overlap", "'x'" },
    { "huge shape",
      "{\"w\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4294967296],"
      " \"data_offsets\": [0, 0]}}",
      0, "more than 2^40 elements", "'w'" },
    { "overflowing shape",
      "{\"w\": {\"dtype\": \"F64\", \"shape\": [1048576, 1048576, 1048576, 1048576],"
      " \"data_offsets\": [0, 0]}}",
      0, "more than 2^40 elements", "'w'" },
    { "huge dimension",
      "{\"w\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904],"
      " \"data_offsets\": [0, 0]}}",
      0, "above the limit", "'w'" },
    { "dimension beyond int64",
      "{\"w\": {\"dtype\": \"F32\", \"shape\": [1e30], \"data_offsets\": [0, 0]}}", 0,
      "not a non-negative integer", "'w'" },
    { "integer beyond int64",
      "{\"w\": {\"dtype\": \"F32\", \"shape\": [99999999999999999999], \"data_offsets\": [0, 0]}}",
      0, "not a non-negative integer", "'w'" },
    { "huge offsets",
      "{\"w\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [9223372036854775806, "
      "9223372036854775807]}}",
      0, "run past the data section", "'w'" },
    { "metadata not an object", "{\"__metadata__\": [1]}", 0, "__metadata__ is not a JSON object",
      NULL },
    { "metadata value not a string", "{\"__metadata__\": {\"k\": 1}}", 0,
      "__metadata__ entry 'k' is not a string", NULL },
    { "empty name", "{\"\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}}", 1,
      "empty name", NULL },
  };
  g_autofree guint8 *zeros = g_malloc0 (1024);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const BadCase *c = &cases[i];
      g_autofree char *name = g_strdup_printf ("bad-%02u.safetensors", i);
      g_autofree char *path = write_raw (name, strlen (c->header), c->header, zeros, c->data_size);
      g_autoptr (GError) error = NULL;
      g_autoptr (DmSafetensors) st = dm_safetensors_open (path, &error);

      g_test_message ("%s: %s", c->what, error != NULL ? error->message : "(accepted!)");
      g_assert_null (st);
      g_assert_nonnull (error);
      g_assert_true (error->domain == DM_ERROR);
      g_assert_true (g_str_has_prefix (error->message, path));
      if (strstr (error->message, c->expect) == NULL)
        g_error ("%s: message '%s' lacks '%s'", c->what, error->message, c->expect);
      if (c->tensor != NULL && strstr (error->message, c->tensor) == NULL)
        g_error ("%s: message '%s' does not name %s", c->what, error->message, c->tensor);
    }
}

/* Header lengths and files that are not safetensors at all. */
static void
test_malformed_length (void)
{
  static const struct
  {
    const char *what;
    guint64 n;
    const char *header;
    const char *expect;
  } cases[] = {
    { "3-byte file", 0, NULL, "3 bytes, too short" },
    { "0-byte file", 0, NULL, "0 bytes, too short" },
    { "header length past EOF", 1000, "{}", "runs past the end of the file (10 bytes)" },
    { "header length too large", G_GUINT64_CONSTANT (1) << 40, "{}", "above the 100 MB limit" },
    { "header length max", G_MAXUINT64, "{}", "above the 100 MB limit" },
    { "empty header", 0, "", "is empty" },
    { "not UTF-8", 4, "\xff\xfe{}", "not UTF-8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("len-%u.safetensors", i);
      g_autofree char *path = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (DmSafetensors) st = NULL;

      if (i < 2)
        {
          path = g_build_filename (tmpdir, name, NULL);
          g_file_set_contents (path, "abc", i == 0 ? 3 : 0, &error);
          g_assert_no_error (error);
        }
      else
        path = write_raw (name, cases[i].n, cases[i].header, NULL, 0);
      st = dm_safetensors_open (path, &error);
      g_test_message ("%s: %s", cases[i].what, error != NULL ? error->message : "(accepted!)");
      g_assert_null (st);
      g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
      g_assert_true (g_str_has_prefix (error->message, path));
      g_assert_nonnull (strstr (error->message, cases[i].expect));
    }

  /* A missing file and a folder. */
  {
    g_autofree char *path = g_build_filename (tmpdir, "missing.safetensors", NULL);
    g_autoptr (GError) error = NULL;

    g_assert_null (dm_safetensors_open (path, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_IO);
    g_assert_nonnull (strstr (error->message, path));
    g_clear_error (&error);
    g_assert_null (dm_safetensors_open (tmpdir, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_IO);
    g_assert_nonnull (strstr (error->message, "folder"));
  }
}

static void
test_writer_errors (void)
{
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  g_autoptr (GError) error = NULL;
  float x[4] = { 0 };

  g_assert_true (
    dm_safetensors_writer_add_f32 (w, "x", DM_DTYPE_F32, x, 1, (gint64[]){ 4 }, &error));
  g_assert_false (
    dm_safetensors_writer_add_f32 (w, "x", DM_DTYPE_F32, x, 1, (gint64[]){ 4 }, &error));
  g_assert_nonnull (strstr (error->message, "added twice"));
  g_clear_error (&error);
  g_assert_false (
    dm_safetensors_writer_add_f32 (w, "__metadata__", DM_DTYPE_F32, x, 1, (gint64[]){ 4 }, &error));
  g_clear_error (&error);
  g_assert_false (
    dm_safetensors_writer_add_f32 (w, "", DM_DTYPE_F32, x, 1, (gint64[]){ 4 }, &error));
  g_clear_error (&error);
  g_assert_false (
    dm_safetensors_writer_add_f32 (w, "y", DM_DTYPE_U8, x, 1, (gint64[]){ 4 }, &error));
  g_clear_error (&error);
  g_assert_false (
    dm_safetensors_writer_add_f32 (w, "y", DM_DTYPE_F32, x, 1, (gint64[]){ -4 }, &error));
  g_clear_error (&error);
  g_assert_false (dm_safetensors_writer_add_f32 (w, "y", DM_DTYPE_F32, x, 9,
                                                 (gint64[]){ 1, 1, 1, 1, 1, 1, 1, 1, 1 }, &error));
  g_clear_error (&error);
  g_assert_cmpuint (dm_safetensors_writer_n_tensors (w), ==, 1);
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* A failed write leaves neither the file nor a temporary file, and an
 * existing file stays as it was. */
static void
test_atomic (void)
{
  g_autofree char *dir = g_build_filename (tmpdir, "atomic", NULL);
  g_autofree char *path = g_build_filename (dir, "w.safetensors", NULL);
  g_autofree char *nowhere = g_build_filename (dir, "no-such-folder", "w.safetensors", NULL);
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autofree float *big = g_new0 (float, 1 << 16);
  g_autofree char *content = NULL;
  struct rlimit old, lim;
  void (*old_handler) (int);
  gboolean ok;

  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  g_assert_true (
    dm_safetensors_writer_add_f32 (w, "big", DM_DTYPE_F32, big, 1, (gint64[]){ 1 << 16 }, &error));

  g_assert_false (dm_safetensors_writer_write (w, nowhere, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, nowhere));
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (dir), ==, 0);

  g_assert_false (dm_safetensors_writer_write (w, dir, &error));
  g_assert_nonnull (strstr (error->message, "folder"));
  g_clear_error (&error);

  /* A write that fails half-way: a file size limit of 64 KiB (the file is
   * 256 KiB) makes write() fail with EFBIG. */
  g_file_set_contents (path, "old", 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old), ==, 0);
  lim = old;
  lim.rlim_cur = 65536;
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);
  ok = dm_safetensors_writer_write (w, path, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old), ==, 0);
  signal (SIGXFSZ, old_handler);
  g_test_message ("half-way failure: %s", error != NULL ? error->message : "(written!)");
  g_assert_false (ok);
  g_assert_error (error, DM_ERROR, DM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (dir), ==, 1); /* no temporary file left */
  g_file_get_contents (path, &content, NULL, &error);
  g_assert_cmpstr (content, ==, "old");

  /* And without the limit it replaces the file. */
  g_assert_true (dm_safetensors_writer_write (w, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1);
}

static void
test_from_bytes (void)
{
  const char *h = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
  g_autoptr (GByteArray) a = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = NULL;
  guint8 len[8] = { (guint8)strlen (h) };
  guint8 data[4] = { 0x80, 0x3f, 0x00, 0xc0 }; /* 1.0, -2.0 */
  float back[2];

  g_byte_array_append (a, len, 8);
  g_byte_array_append (a, (const guint8 *)h, strlen (h));
  g_byte_array_append (a, data, 4);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&a));
  st = dm_safetensors_new_from_bytes (bytes, "memory", &error);
  g_assert_no_error (error);
  g_assert_true (dm_safetensors_read_f32 (st, "w", back, 2, &error));
  g_assert_cmpfloat (back[0], ==, 1.0f);
  g_assert_cmpfloat (back[1], ==, -2.0f);
}

/* Random byte changes and truncations of a valid file: each is either
 * accepted with every tensor inside the data, or refused; never a crash
 * (run under AddressSanitizer by the sanitizer build). */
static void
test_mutations (void)
{
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  g_autofree char *path = g_build_filename (tmpdir, "mutate.safetensors", NULL);
  g_autofree char *content = NULL;
  g_autoptr (GError) error = NULL;
  float a[12], back[64];
  guint8 u8[7] = { 1, 2, 3, 4, 5, 6, 7 };
  gsize len;
  guint64 state = 12345;
  guint accepted = 0, refused = 0;

  dm_test_fill_uniform (a, 12, -1, 1, 9);
  dm_safetensors_writer_add_f32 (w, "a", DM_DTYPE_F32, a, 2, (gint64[]){ 3, 4 }, &error);
  dm_safetensors_writer_add_f32 (w, "h", DM_DTYPE_F16, a, 1, (gint64[]){ 12 }, &error);
  dm_safetensors_writer_add_f32 (w, "b", DM_DTYPE_BF16, a, 3, (gint64[]){ 2, 2, 3 }, &error);
  dm_safetensors_writer_add_raw (w, "u", DM_DTYPE_U8, u8, 1, (gint64[]){ 7 }, &error);
  dm_safetensors_writer_set_metadata (w, "k", "v");
  g_assert_true (dm_safetensors_writer_write (w, path, &error));
  g_assert_true (g_file_get_contents (path, &content, &len, &error));

  for (int iter = 0; iter < 4000; iter++)
    {
      g_autofree guint8 *copy = g_memdup2 (content, len);
      gsize n = len;
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (DmSafetensors) st = NULL;
      g_autoptr (GError) e = NULL;
      int changes
        = 1 + (int)((state = state * 6364136223846793005ull + 1442695040888963407ull) >> 62);

      for (int c = 0; c < changes; c++)
        {
          state = state * 6364136223846793005ull + 1442695040888963407ull;
          /* mostly in the 8-byte length and the header, where parsing happens */
          copy[(state >> 33) % MIN (len, 300)] = (guint8)(state >> 20);
        }
      if (iter % 5 == 0)
        n = (gsize)((state >> 40) % (len + 1));
      bytes = g_bytes_new (copy, n);
      st = dm_safetensors_new_from_bytes (bytes, "mutated", &e);
      if (st == NULL)
        {
          g_assert_nonnull (e);
          g_assert_true (g_str_has_prefix (e->message, "mutated: "));
          refused++;
          continue;
        }
      accepted++;
      for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
        {
          const DmTensorInfo *t = dm_safetensors_tensor (st, i);

          g_assert_cmpuint (t->end, <=, n);
          if (dm_dtype_is_float (t->dtype) && t->n_elements <= G_N_ELEMENTS (back))
            g_assert_true (dm_safetensors_read_f32_range (st, t, 0, t->n_elements, back, NULL));
          else if (!dm_dtype_is_float (t->dtype) && t->end > t->begin)
            g_assert_cmpuint (dm_safetensors_tensor_bytes (st, t)[t->end - t->begin - 1], <=, 255);
        }
    }
  g_test_message ("mutations: %u accepted, %u refused", accepted, refused);
  g_assert_cmpuint (refused, >, 1000);
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = dm_test_make_tmpdir ();
  g_test_add_func ("/safetensors/f16-exhaustive", test_f16_exhaustive);
  g_test_add_func ("/safetensors/f16-rounding", test_f16_rounding);
  g_test_add_func ("/safetensors/bf16", test_bf16);
  g_test_add_func ("/safetensors/round-trip", test_round_trip);
  g_test_add_func ("/safetensors/key-order", test_key_order);
  g_test_add_func ("/safetensors/malformed", test_malformed);
  g_test_add_func ("/safetensors/malformed-length", test_malformed_length);
  g_test_add_func ("/safetensors/writer-errors", test_writer_errors);
  g_test_add_func ("/safetensors/atomic", test_atomic);
  g_test_add_func ("/safetensors/from-bytes", test_from_bytes);
  g_test_add_func ("/safetensors/mutations", test_mutations);
  rc = g_test_run ();
  g_free (tmpdir);
  return rc;
}
