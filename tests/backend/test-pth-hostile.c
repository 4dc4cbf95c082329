/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PyTorch files that must be refused, each with the message that says
 * why, and nothing run: the hostile pickles of the vectors (README §5b:
 * no pwned-by-pickle.txt may appear), archives with every structural fault
 * the zip reader checks, pickles with every fault the pickle reader
 * checks, the limits, and sweeps of mutated and truncated files that must
 * give a clear error or the file's tensors, never a crash (the ASan build
 * runs them too). */
#include <glib/gstdio.h>
#include <string.h>

#include "dm-test-util.h"
#include "dm-weight-file.h"
#include "dm-zip-writer.h"
#include "dm-zip.h"

#define PWNED "pwned-by-pickle.txt"

static char *
data_path (const char *name)
{
  return g_build_filename (dm_test_srcdir (), "data", "pth", name, NULL);
}

/* Reads bytes as a weight file; the error, or NULL when it opened. */
static GError *
read_error (GBytes *bytes, const char *name)
{
  GError *error = NULL;
  DmSafetensors *st = dm_weight_file_new_from_bytes (bytes, name, NULL, &error);

  if (st != NULL)
    {
      /* touch every byte: the views must lie inside the data */
      for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
        {
          const DmTensorInfo *t = dm_safetensors_tensor (st, i);
          const guint8 *p = dm_safetensors_tensor_bytes (st, t);
          guint sum = 0;

          for (guint64 k = 0; k < t->end - t->begin; k++)
            sum += p[k];
          (void)sum;
        }
      dm_safetensors_free (st);
      return NULL;
    }
  g_assert_nonnull (error);
  g_assert_true (g_str_has_prefix (error->message, name));
  return error;
}

static void
assert_refused (GBytes *bytes, const char *part)
{
  g_autoptr (GError) error = read_error (bytes, "made.pth");

  if (error == NULL)
    g_error ("opened, but should fail with '%s'", part);
  g_test_message ("%s", error->message);
  dm_test_assert_has (error->message, part);
}

/* ---- archives ---- */

typedef struct
{
  const char *name;
  const void *data;
  gsize len;
} Record;

static GBytes *
make_zip (const Record *records, guint n)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (DmZipWriter) zip = dm_zip_writer_new (dm_byte_array_sink, out);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    g_assert_true (
      dm_zip_writer_add (zip, records[i].name, records[i].data, records[i].len, &error));
  g_assert_true (dm_zip_writer_finish (zip, &error));
  g_assert_no_error (error);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static const float storage0[4] = { 1.0f, -2.0f, 3.5f, 0.25f };

/* data.pkl + data/0 (the four floats above) + version. */
static GBytes *
archive_of (GByteArray *pickle)
{
  const Record records[] = {
    { "archive/data.pkl", pickle->data, pickle->len },
    { "archive/data/0", storage0, sizeof storage0 },
    { "archive/version", "3\n", 2 },
  };

  return make_zip (records, G_N_ELEMENTS (records));
}

/* ---- pickles, written opcode by opcode ---- */

static void
op (GByteArray *p, guint8 code)
{
  g_byte_array_append (p, &code, 1);
}

static void
str (GByteArray *p, const char *s)
{
  guint32 len = (guint32)strlen (s);
  guint8 le[4] = { len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, len >> 24 };

  op (p, 'X');
  g_byte_array_append (p, le, 4);
  g_byte_array_append (p, (const guint8 *)s, len);
}

static void
global (GByteArray *p, const char *module, const char *name)
{
  op (p, 'c');
  g_byte_array_append (p, (const guint8 *)module, (guint)strlen (module));
  op (p, '\n');
  g_byte_array_append (p, (const guint8 *)name, (guint)strlen (name));
  op (p, '\n');
}

static void
small_int (GByteArray *p, guint v)
{
  guint8 le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

  op (p, 'J');
  g_byte_array_append (p, le, 4);
}

/* {"w": tensor} over storage "0" of `numel` elements of `type`, with the
 * given sizes and strides (n_dims of each). */
static GByteArray *
state_dict (const char *type, guint numel, const guint *shape, const guint *stride, int n_dims)
{
  GByteArray *p = g_byte_array_new ();

  op (p, 0x80);
  op (p, 2);
  op (p, '}');
  str (p, "w");
  global (p, "torch._utils", "_rebuild_tensor_v2");
  op (p, '(');
  op (p, '(');
  str (p, "storage");
  global (p, "torch", type);
  str (p, "0");
  str (p, "cpu");
  small_int (p, numel);
  op (p, 't');
  op (p, 'Q');
  small_int (p, 0);
  op (p, '(');
  for (int d = 0; d < n_dims; d++)
    small_int (p, shape[d]);
  op (p, 't');
  op (p, '(');
  for (int d = 0; d < n_dims; d++)
    small_int (p, stride[d]);
  op (p, 't');
  op (p, 0x89);
  global (p, "collections", "OrderedDict");
  op (p, ')');
  op (p, 'R');
  op (p, 't');
  op (p, 'R');
  op (p, 's');
  op (p, '.');
  return p;
}

static GByteArray *
plain_state_dict (void)
{
  const guint shape[] = { 4 }, stride[] = { 1 };

  return state_dict ("FloatStorage", 4, shape, stride, 1);
}

/* A pickle of raw bytes (then STOP when stop). */
static GByteArray *
raw_pickle (const char *bytes, gsize n, gboolean stop)
{
  GByteArray *p = g_byte_array_new ();

  g_byte_array_append (p, (const guint8 *)bytes, (guint)n);
  if (stop)
    op (p, '.');
  return p;
}

/* ---- the tests ---- */

/* The vectors' hostile files: refused, nothing run, in a clean folder. */
static void
test_vectors (void)
{
  static const struct
  {
    const char *file;
    const char *part;
  } cases[] = {
    { "evil_os_system.pth", "refuses to run pickle global 'posix.system'" },
    { "evil_builtins_eval.pth", "refuses to run pickle global 'builtins.eval'" },
    { "bad_shape_beyond_storage.pth", "tensor 'w' of shape (1000000000)" },
    { "bad_missing_storage.pth", "storage record 'archive/data/0' is missing" },
  };
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *truncated = NULL;

  g_assert_cmpint (g_chdir (tmp), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = data_path (cases[i].file);
      g_autoptr (GError) error = NULL;
      DmWeightFileInfo info;

      g_assert_null (dm_weight_file_open (path, &info, &error));
      g_test_message ("%s", error->message);
      dm_test_assert_has (error->message, path);
      dm_test_assert_has (error->message, cases[i].part);
      g_assert_false (g_file_test (PWNED, G_FILE_TEST_EXISTS));
    }
  /* the vectors' truncated file, when ../shared is there */
  if (dm_test_shared_dir () != NULL
      && g_file_test (truncated = g_build_filename (dm_test_shared_dir (), "testvectors", "tiny",
                                                    "pth", "bad_truncated.pth", NULL),
                      G_FILE_TEST_EXISTS))
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (dm_weight_file_open (truncated, NULL, &error));
      g_test_message ("%s", error->message);
      dm_test_assert_has (error->message, "truncated");
    }
  g_assert_false (g_file_test (PWNED, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_chdir (cwd), ==, 0);
  g_assert_false (g_file_test (PWNED, G_FILE_TEST_EXISTS));
}

/* The bf16 encoder cut anywhere: never opens, always says why. */
static void
test_truncated (void)
{
  g_autofree char *path = data_path ("dinov2_tiny_reg4_pretrain_bf16.pth");
  g_autofree char *contents = NULL;
  gsize size = 0;

  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  for (int k = 0; k < 24; k++)
    {
      gsize cut = k == 0 ? size / 3 : size * (gsize)k / 24;
      g_autoptr (GBytes) bytes = g_bytes_new_static (contents, cut);
      g_autoptr (GError) error = read_error (bytes, "cut.pth");

      g_assert_nonnull (error);
      if (k == 0)
        dm_test_assert_has (error->message, "truncated");
    }
}

static void
test_archives (void)
{
  g_autoptr (GByteArray) pkl = plain_state_dict ();

  /* the baseline opens: the faults below are the only difference */
  {
    g_autoptr (GBytes) good = archive_of (pkl);
    g_autoptr (GError) error = NULL;
    g_autoptr (DmSafetensors) st = dm_weight_file_new_from_bytes (good, "made.pth", NULL, &error);
    float w[4];

    g_assert_no_error (error);
    g_assert_true (dm_safetensors_read_f32 (st, "w", w, 4, &error));
    g_assert_cmpmem (w, sizeof w, storage0, sizeof storage0);
  }
  {
    const Record r[] = { { "archive/version", "3\n", 2 } };
    g_autoptr (GBytes) b = make_zip (r, 1);
    assert_refused (b, "without a data.pkl");
  }
  {
    const Record r[]
      = { { "a/data.pkl", pkl->data, pkl->len }, { "b/data.pkl", pkl->data, pkl->len } };
    g_autoptr (GBytes) b = make_zip (r, 2);
    assert_refused (b, "two pickles");
  }
  {
    const Record r[] = { { "archive/data.pkl", pkl->data, pkl->len },
                         { "archive/byteorder", "big", 3 },
                         { "archive/data/0", storage0, sizeof storage0 } };
    g_autoptr (GBytes) b = make_zip (r, 3);
    assert_refused (b, "big-endian");
  }
  {
    const Record r[] = { { "archive/data.pkl", pkl->data, pkl->len },
                         { "archive/constants.pkl", pkl->data, pkl->len } };
    g_autoptr (GBytes) b = make_zip (r, 2);
    assert_refused (b, "TorchScript");
  }
  {
    const Record r[] = { { "archive/data.pkl", pkl->data, pkl->len },
                         { "archive/data.pkl", pkl->data, pkl->len } };
    g_autoptr (GBytes) b = make_zip (r, 2);
    assert_refused (b, "in the archive twice");
  }
  {
    g_autoptr (GBytes) b = g_bytes_new_static ("PK\5\6\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22);
    assert_refused (b, "without a data.pkl");
  }
  {
    g_autoptr (GBytes) good = archive_of (pkl);
    gsize size = 0;
    const guint8 *data = g_bytes_get_data (good, &size);
    const guint8 *cd = NULL, *storage = NULL;
    struct
    {
      gsize at;
      guint8 value;
      const char *part;
    } patches[4];

    /* the first directory entry and the storage's bytes */
    for (gsize i = size - 4; i-- > 0;)
      if (memcmp (data + i, "PK\1\2", 4) == 0)
        cd = data + i;
    for (gsize i = 0; i + sizeof storage0 <= size; i++)
      if (memcmp (data + i, storage0, sizeof storage0) == 0)
        storage = data + i;
    g_assert_nonnull (cd);
    g_assert_nonnull (storage);
    patches[0].at = (gsize)(cd - data) + 10, patches[0].value = 8,
    patches[0].part = "compressed (method 8)";
    patches[1].at = (gsize)(cd - data) + 8, patches[1].value = 1, patches[1].part = "encrypted";
    patches[2].at = (gsize)(storage - data) + 3, patches[2].value = 0x41,
    patches[2].part = "damaged";
    patches[3].at = (gsize)(cd - data) + 45, patches[3].value = 0x7F,
    patches[3].part = "not before the directory";
    for (guint i = 0; i < G_N_ELEMENTS (patches); i++)
      {
        g_autofree guint8 *copy = g_memdup2 (data, size);
        g_autoptr (GBytes) b = NULL;

        copy[patches[i].at] = patches[i].value;
        b = g_bytes_new (copy, size);
        assert_refused (b, patches[i].part);
      }
  }
}

static void
test_pickles (void)
{
  static const guint big[] = { 10000000 }, zero[] = { 0 }, four[] = { 4 }, unit[] = { 1 };
  static const guint rank9[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 4 };
  static const guint strides9[9] = { 4, 4, 4, 4, 4, 4, 4, 4, 1 };
  /* string literals split where a hex escape would swallow the next
   * character ("\x00a" is one byte) */
#define RAW(s, stop, part)                                                                         \
  {                                                                                                \
    s, sizeof s - 1, stop, part                                                                    \
  }
  static const struct
  {
    const char *bytes;
    gsize n;
    gboolean stop;
    const char *part;
  } raw[] = {
    RAW ("\x80\x02"
         "I1\n",
         TRUE, "opcode 0x49 ('I') is not supported"),
    RAW ("\x80\x02"
         "h\x05",
         TRUE, "memo entry 5 is not set"),
    RAW ("\x80\x06"
         "}",
         TRUE, "pickle protocol 6"),
    RAW ("\x80\x02"
         "}",
         FALSE, "truncated"),
    RAW ("\x80\x02"
         "}",
         TRUE, "holds no state dict"),
    /* a list holding itself, a dict holding itself under "model" */
    RAW ("\x80\x02"
         "]q\x00"
         "h\x00"
         "a",
         TRUE, "holds no state dict: no tensors in a list"),
    RAW ("\x80\x02"
         "}q\x00"
         "X\x05\x00\x00\x00"
         "modelh\x00"
         "s",
         TRUE, "holds no state dict"),
    RAW ("\x80\x02"
         "(X\x01\x00\x00\x00"
         "au",
         TRUE, "SETITEMS without a dict before its MARK"),
    RAW ("\x80\x02"
         "X\x02\x00\x00\x00\xc3\x28",
         TRUE, "not UTF-8"),
    RAW ("\x80\x02"
         "\x8d\x00\x00\x00\x00\x00\x01\x00\x00",
         TRUE, "above the limit"),
    RAW ("\x80\x02"
         "c__main__\nModel\n)\x81",
         TRUE, "refuses to run pickle global '__main__.Model'"),
    RAW ("\x80\x02"
         "ctorch.nn.modules.linear\nLinear\n",
         TRUE, "refuses to run pickle global 'torch.nn.modules.linear.Linear'"),
    RAW ("\x80\x02"
         "ctorch\nFloatStorage\n)R",
         TRUE, "not a function"),
    RAW ("\x80\x02"
         "K\x01Q",
         TRUE, "not a torch storage"),
  };
#undef RAW

  for (guint i = 0; i < G_N_ELEMENTS (raw); i++)
    {
      g_autoptr (GByteArray) p = raw_pickle (raw[i].bytes, raw[i].n, raw[i].stop);
      g_autoptr (GBytes) b = archive_of (p);
      assert_refused (b, raw[i].part);
    }
  /* one tensor "w" over storage "0" (16 bytes in the archive) */
  static const struct
  {
    const char *type;
    guint numel;
    const guint *shape, *stride;
    int rank;
    const char *part;
  } tensors[] = {
    { "QInt8Storage", 4, four, unit, 1, "storage type 'torch.QInt8Storage' is not supported" },
    { "FloatStorage", 4, rank9, strides9, 9, "rank 9" },
    { "FloatStorage", 5, four, unit, 1, "holds 16 bytes, its 5 elements of F32 need 20" },
    /* a broadcast (stride 0) that would take 40 MB from a file of 1 KB */
    { "FloatStorage", 4, big, zero, 1, "more than 4 times the file" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (tensors); i++)
    {
      g_autoptr (GByteArray) p = state_dict (tensors[i].type, tensors[i].numel, tensors[i].shape,
                                             tensors[i].stride, tensors[i].rank);
      g_autoptr (GBytes) b = archive_of (p);
      assert_refused (b, tensors[i].part);
    }
  {
    /* ... and a small one is fine: four copies of element 0 */
    g_autoptr (GByteArray) p = state_dict ("FloatStorage", 4, four, zero, 1);
    g_autoptr (GBytes) b = archive_of (p);
    g_autoptr (GError) error = NULL;
    g_autoptr (DmSafetensors) st = dm_weight_file_new_from_bytes (b, "made.pth", NULL, &error);
    float w[4];

    g_assert_no_error (error);
    g_assert_true (dm_safetensors_read_f32 (st, "w", w, 4, &error));
    for (int i = 0; i < 4; i++)
      g_assert_cmpfloat (w[i], ==, storage0[0]);
  }
  {
    /* too deep: 70000 MARKs */
    g_autoptr (GByteArray) p = g_byte_array_new ();
    g_autoptr (GBytes) b = NULL;

    op (p, 0x80), op (p, 2);
    for (int i = 0; i < 70000; i++)
      op (p, '(');
    op (p, '.');
    b = archive_of (p);
    assert_refused (b, "nested MARKs");
  }
  {
    /* too many: a million and more empty lists */
    g_autoptr (GByteArray) p = g_byte_array_new ();
    g_autoptr (GBytes) b = NULL;

    op (p, 0x80), op (p, 2);
    for (int i = 0; i < (1 << 20) + 2; i++)
      op (p, ']');
    op (p, '.');
    b = archive_of (p);
    assert_refused (b, "values");
  }
}

/* What the first bytes say: a safetensors file whose header length starts
 * like a pickle stays safetensors; a plain pickle and a tar file are
 * refused by name. */
static void
test_sniffing (void)
{
  g_autoptr (GByteArray) st = g_byte_array_new ();
  const char header[] = "{\"__metadata__\":{\"a\":\"b\"}}";
  g_autoptr (GBytes) st_bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) opened = NULL;
  DmWeightFileInfo info;

  /* header length 0x0280 = 640: bytes 80 02 00 00 00 00 00 00 */
  g_byte_array_append (st, (const guint8 *)"\x80\x02\0\0\0\0\0\0", 8);
  g_byte_array_append (st, (const guint8 *)header, sizeof header - 1);
  while (st->len < 8 + 640)
    op (st, ' ');
  st_bytes = g_bytes_new (st->data, st->len);
  opened = dm_weight_file_new_from_bytes (st_bytes, "made.safetensors", &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info.format, ==, DM_WEIGHT_FORMAT_SAFETENSORS);
  g_assert_cmpstr (dm_safetensors_metadata (opened, "a"), ==, "b");

  {
    g_autoptr (GBytes) b = g_bytes_new_static ("\x80\x02}q\x00.", 6);
    assert_refused (b, "without PyTorch's magic number");
  }
  {
    g_autofree char *tar = g_malloc0 (1024);
    g_autoptr (GBytes) b = NULL;

    memcpy (tar, "archive/", 8);
    memcpy (tar + 257, "ustar", 5);
    b = g_bytes_new_take (g_steal_pointer (&tar), 1024);
    assert_refused (b, "tar format of PyTorch before 0.4");
  }
}

/* Every byte of a file changed, every length cut: an error or the
 * tensors, never a crash; in a zip the pickle is changed inside a valid
 * archive (its crc recomputed), so the pickle reader sees the damage. */
static void
test_mutations (void)
{
  g_autofree char *zip_path = data_path ("checkpoint_ddp_namespace.pth");
  g_autofree char *legacy_path = data_path ("legacy_views.pth");
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmZip) zip = NULL;
  g_autoptr (GArray) records = g_array_new (FALSE, FALSE, sizeof (Record));
  const DmZipEntry *pkl;
  guint refused = 0, opened = 0;
  gsize size = 0;

  g_assert_true (g_file_get_contents (zip_path, &contents, &size, NULL));
  zip = dm_zip_open ((const guint8 *)contents, size, zip_path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < dm_zip_n_entries (zip); i++)
    {
      const DmZipEntry *e = dm_zip_entry (zip, i);
      Record r = { e->name, dm_zip_entry_data (zip, e), (gsize)e->size };
      g_array_append_val (records, r);
    }
  pkl = dm_zip_find (zip, "checkpoint_ddp_namespace/data.pkl");
  g_assert_nonnull (pkl);
  for (gsize at = 0; at < pkl->size; at++)
    for (guint x = 0; x < 3; x++)
      {
        static const guint8 flips[] = { 0x01, 0x80, 0xff };
        g_autofree Record *r = g_memdup2 (records->data, sizeof (Record) * records->len);
        g_autofree guint8 *copy = g_memdup2 (dm_zip_entry_data (zip, pkl), (gsize)pkl->size);
        g_autoptr (GBytes) b = NULL;
        g_autoptr (GError) e = NULL;

        copy[at] ^= flips[x];
        for (guint i = 0; i < records->len; i++)
          if (strcmp (r[i].name, pkl->name) == 0)
            r[i].data = copy;
        b = make_zip (r, records->len);
        e = read_error (b, "mutated.pth");
        e != NULL ? refused++ : opened++;
      }
  /* the archive's own bytes, and cuts */
  for (gsize at = 0; at < size; at++)
    {
      g_autofree char *copy = g_memdup2 (contents, size);
      g_autoptr (GBytes) b = NULL, cut = g_bytes_new_static (contents, at);
      g_autoptr (GError) e = NULL, e2 = NULL;

      copy[at] ^= 0xff;
      b = g_bytes_new_take (g_steal_pointer (&copy), size);
      e = read_error (b, "mutated.pth");
      e != NULL ? refused++ : opened++;
      e2 = read_error (cut, "mutated.pth");
      g_assert_nonnull (e2);
    }
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (legacy_path, &contents, &size, NULL));
  for (gsize at = 0; at < size; at++)
    for (guint x = 0; x < 2; x++)
      {
        g_autofree char *copy = g_memdup2 (contents, size);
        g_autoptr (GBytes) b = NULL, cut = g_bytes_new_static (contents, at);
        g_autoptr (GError) e = NULL, e2 = NULL;

        copy[at] ^= x == 0 ? 0x01 : 0xff;
        b = g_bytes_new_take (g_steal_pointer (&copy), size);
        e = read_error (b, "mutated.pth");
        e != NULL ? refused++ : opened++;
        e2 = read_error (cut, "mutated.pth");
        g_assert_nonnull (e2);
      }
  g_test_message ("mutations: %u refused with a message, %u still opened", refused, opened);
  g_assert_cmpuint (refused, >, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pth-hostile/vectors", test_vectors);
  g_test_add_func ("/pth-hostile/truncated", test_truncated);
  g_test_add_func ("/pth-hostile/archives", test_archives);
  g_test_add_func ("/pth-hostile/pickles", test_pickles);
  g_test_add_func ("/pth-hostile/sniffing", test_sniffing);
  g_test_add_func ("/pth-hostile/mutations", test_mutations);
  return g_test_run ();
}
