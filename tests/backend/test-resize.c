/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of dm-resize: bit for bit against PIL's own output (committed, see
 * pil-image-expected.py) and against a plain re-implementation of the
 * algorithm of testvectors/README.md §2.2 on random sizes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dm-error.h"
#include "dm-resize.h"
#include "dm-test-util.h"

/* ---- PIL's output ------------------------------------------------------------ */

/* The input formulas of pil-image-expected.py. */
static guint8
input_u8 (gint64 x, gint64 y, gint64 k)
{
  return (guint8)((x * 31 + y * 17 + k * 101 + (x * x * y) % 29) & 255);
}

static float
input_f (gint64 x, gint64 y)
{
  return (float)(((x * 37 + y * 91) % 1000) / 4.0 - 20.0);
}

static gint32
input_i (gint64 x, gint64 y)
{
  return (gint32)((x * 1789 + y * 2711 + (x * y * 37) % 1000) & 0xffff);
}

static void
test_against_pil (void)
{
  g_autofree char *dir
    = g_build_filename (dm_test_srcdir (), "data", "image", "expected", "pil", NULL);
  g_autofree char *list_path = g_build_filename (dir, "resize-cases.txt", NULL);
  g_autofree char *list = NULL;
  g_auto (GStrv) lines = NULL;
  guint n_cases = 0;

  g_assert_true (g_file_get_contents (list_path, &list, NULL, NULL));
  lines = g_strsplit (list, "\n", -1);
  for (guint l = 0; lines[l] != NULL; l++)
    {
      char mode[8], file[128];
      int iw, ih, ow, oh, ch;
      g_autofree char *path = NULL;
      g_autofree char *want = NULL;
      g_autofree guint8 *in = NULL;
      g_autofree guint8 *out = NULL;
      g_autoptr (GError) error = NULL;
      gsize want_size, sample;
      gboolean ok;

      if (sscanf (lines[l], "%7s %d %d %d %d %127s", mode, &iw, &ih, &ow, &oh, file) != 6)
        continue;
      ch = strcmp (mode, "RGB") == 0 ? 3 : 1;
      sample = (mode[0] == 'F' || mode[0] == 'I') ? 4 : 1;
      in = g_malloc ((gsize)iw * ih * ch * sample);
      out = g_malloc0 ((gsize)ow * oh * ch * sample);
      for (int y = 0; y < ih; y++)
        for (int x = 0; x < iw; x++)
          for (int c = 0; c < ch; c++)
            {
              gsize i = ((gsize)y * iw + x) * ch + c;

              if (mode[0] == 'F')
                ((float *)in)[i] = input_f (x, y);
              else if (mode[0] == 'I')
                ((gint32 *)in)[i] = input_i (x, y);
              else
                in[i] = input_u8 (x, y, c);
            }
      if (mode[0] == 'F')
        ok = dm_resize_f32 ((float *)in, iw, ih, (gsize)iw * 4, (float *)out, ow, oh, (gsize)ow * 4,
                            1, &error);
      else if (mode[0] == 'I')
        ok = dm_resize_i32 ((gint32 *)in, iw, ih, (gsize)iw * 4, (gint32 *)out, ow, oh,
                            (gsize)ow * 4, 1, &error);
      else if (mode[0] == 'N')
        ok = dm_resize_nearest_u8 (in, iw, ih, iw, out, ow, oh, ow, 1, &error);
      else
        ok = dm_resize_u8 (in, iw, ih, (gsize)iw * ch, out, ow, oh, (gsize)ow * ch, ch, &error);
      g_assert_no_error (error);
      g_assert_true (ok);

      path = g_build_filename (dir, file, NULL);
      g_assert_true (g_file_get_contents (path, &want, &want_size, NULL));
      g_assert_cmpuint (want_size, ==, (gsize)ow * oh * ch * sample);
      if (memcmp (out, want, want_size) != 0)
        {
          gsize i = 0;

          while (i < want_size && out[i] == (guint8)want[i])
            i++;
          g_error ("%s: differs from PIL at byte %" G_GSIZE_FORMAT, file, i);
        }
      n_cases++;
    }
  printf ("# PIL resize cases: %u, all bit-identical\n", n_cases);
  g_assert_cmpuint (n_cases, >=, 20);
}

/* ---- a plain re-implementation ---------------------------------------------- */

/* Taps of output i along an axis (§2.2), weights normalised in double. */
static int
ref_taps (int in, int out, int i, int *lo, double *w)
{
  double scale = (double)in / out, fs = MAX (scale, 1.0);
  double center = (i + 0.5) * scale, sum = 0;
  int hi;

  *lo = MAX ((int)(center - fs + 0.5), 0);
  hi = MIN ((int)(center + fs + 0.5), in);
  for (int j = *lo; j < hi; j++)
    {
      w[j - *lo] = MAX (0.0, 1.0 - fabs ((j - center + 0.5) * (1.0 / fs)));
      sum += w[j - *lo];
    }
  for (int j = *lo; j < hi; j++)
    w[j - *lo] /= sum;
  return hi - *lo;
}

/* One 8-bit pass: `along_x` resizes rows, else columns. (h, w, ch) -> ... */
static guint8 *
ref_pass_u8 (const guint8 *in, int w, int h, int ch, int out_len, gboolean along_x)
{
  int in_len = along_x ? w : h, ow = along_x ? out_len : w, oh = along_x ? h : out_len;
  guint8 *out = g_malloc ((gsize)ow * oh * ch);
  double wt[512];

  for (int o = 0; o < out_len; o++)
    {
      int lo, n = ref_taps (in_len, out_len, o, &lo, wt);
      int k[512];

      for (int j = 0; j < n; j++)
        k[j] = (int)(0.5 + wt[j] * (1 << 22));
      for (int a = 0; a < (along_x ? h : w); a++)
        for (int c = 0; c < ch; c++)
          {
            gint64 acc = 1 << 21;

            for (int j = 0; j < n; j++)
              {
                int x = along_x ? lo + j : a, y = along_x ? a : lo + j;

                acc += (gint64)in[((gsize)y * w + x) * ch + c] * k[j];
              }
            acc >>= 22;
            out[((gsize)(along_x ? a : o) * ow + (along_x ? o : a)) * ch + c]
              = (guint8)CLAMP (acc, 0, 255);
          }
    }
  return out;
}

static float *
ref_pass_f32 (const float *in, int w, int h, int ch, int out_len, gboolean along_x)
{
  int in_len = along_x ? w : h, ow = along_x ? out_len : w, oh = along_x ? h : out_len;
  float *out = g_malloc ((gsize)ow * oh * ch * sizeof (float));
  double wt[512];

  for (int o = 0; o < out_len; o++)
    {
      int lo, n = ref_taps (in_len, out_len, o, &lo, wt);

      for (int a = 0; a < (along_x ? h : w); a++)
        for (int c = 0; c < ch; c++)
          {
            double acc = 0;

            for (int j = 0; j < n; j++)
              {
                int x = along_x ? lo + j : a, y = along_x ? a : lo + j;

                acc += (double)in[((gsize)y * w + x) * ch + c] * wt[j];
              }
            out[((gsize)(along_x ? a : o) * ow + (along_x ? o : a)) * ch + c] = (float)acc;
          }
    }
  return out;
}

static void
test_against_reference (void)
{
  GRand *rand = g_rand_new_with_seed (2024);
  guint n_cases = 0;

  for (int t = 0; t < 60; t++)
    {
      int iw = g_rand_int_range (rand, 1, 90), ih = g_rand_int_range (rand, 1, 90);
      /* One axis unchanged now and then: that pass is skipped. */
      int ow = t % 7 == 3 ? iw : g_rand_int_range (rand, 1, 90);
      int oh = t % 7 == 5 ? ih : g_rand_int_range (rand, 1, 90);
      int ch = t % 2 == 0 ? 1 : 3;
      gsize n_in = (gsize)iw * ih * ch, n_out = (gsize)ow * oh * ch;
      g_autofree guint8 *in8 = g_malloc (n_in);
      g_autofree float *inf = g_malloc (n_in * sizeof (float));
      g_autofree guint8 *out8 = g_malloc (n_out);
      g_autofree float *outf = g_malloc (n_out * sizeof (float));
      g_autofree guint8 *want8 = NULL;
      g_autofree float *wantf = NULL;
      g_autoptr (GError) error = NULL;

      for (gsize i = 0; i < n_in; i++)
        {
          in8[i] = (guint8)g_rand_int_range (rand, 0, 256);
          inf[i] = (float)g_rand_double_range (rand, 0.0, 255.0);
        }

      if (ow != iw && oh != ih)
        {
          g_autofree guint8 *tmp8 = ref_pass_u8 (in8, iw, ih, ch, ow, TRUE);
          g_autofree float *tmpf = ref_pass_f32 (inf, iw, ih, ch, ow, TRUE);

          want8 = ref_pass_u8 (tmp8, ow, ih, ch, oh, FALSE);
          wantf = ref_pass_f32 (tmpf, ow, ih, ch, oh, FALSE);
        }
      else if (ow != iw)
        {
          want8 = ref_pass_u8 (in8, iw, ih, ch, ow, TRUE);
          wantf = ref_pass_f32 (inf, iw, ih, ch, ow, TRUE);
        }
      else if (oh != ih)
        {
          want8 = ref_pass_u8 (in8, iw, ih, ch, oh, FALSE);
          wantf = ref_pass_f32 (inf, iw, ih, ch, oh, FALSE);
        }
      else
        {
          want8 = g_memdup2 (in8, n_in);
          wantf = g_memdup2 (inf, n_in * sizeof (float));
        }

      g_assert_true (
        dm_resize_u8 (in8, iw, ih, (gsize)iw * ch, out8, ow, oh, (gsize)ow * ch, ch, &error));
      g_assert_true (dm_resize_f32 (inf, iw, ih, (gsize)iw * ch * 4, outf, ow, oh,
                                    (gsize)ow * ch * 4, ch, &error));
      g_assert_no_error (error);
      if (memcmp (out8, want8, n_out) != 0)
        g_error ("8-bit %dx%d -> %dx%d (%d ch) differs from the reference", iw, ih, ow, oh, ch);
      dm_test_assert_close (outf, wantf, n_out, 0.0, "resize f32 vs reference (rel)");
      n_cases++;
    }
  printf ("# random resize cases: %u, 8-bit and float bit-identical\n", n_cases);
  g_rand_free (rand);
}

/* Strides wider than the rows are honoured. */
static void
test_strides (void)
{
  enum
  {
    IW = 13,
    IH = 9,
    OW = 7,
    OH = 20,
    CH = 3,
    PAD = 5
  };
  guint8 in[IH][IW * CH + PAD], packed[IH * IW * CH];
  guint8 out[OH][OW * CH + PAD], want[OH * OW * CH];
  g_autoptr (GError) error = NULL;

  for (int y = 0; y < IH; y++)
    for (int i = 0; i < IW * CH + PAD; i++)
      {
        in[y][i] = (guint8)(y * 19 + i * 7);
        if (i < IW * CH)
          packed[y * IW * CH + i] = in[y][i];
      }
  memset (out, 0xee, sizeof out);
  g_assert_true (
    dm_resize_u8 (&in[0][0], IW, IH, sizeof in[0], &out[0][0], OW, OH, sizeof out[0], CH, &error));
  g_assert_true (dm_resize_u8 (packed, IW, IH, IW * CH, want, OW, OH, OW * CH, CH, &error));
  for (int y = 0; y < OH; y++)
    {
      g_assert_cmpmem (out[y], OW * CH, want + y * OW * CH, OW * CH);
      for (int i = OW * CH; i < OW * CH + PAD; i++)
        g_assert_cmpuint (out[y][i], ==, 0xee);
    }
}

static void
test_invalid (void)
{
  guint8 a[16] = { 0 }, b[16];
  g_autoptr (GError) error = NULL;

  g_assert_false (dm_resize_u8 (a, 0, 4, 4, b, 2, 2, 2, 1, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (dm_resize_u8 (a, 4, 4, 2, b, 2, 2, 2, 1, &error)); /* stride too small */
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (dm_resize_nearest_u8 (a, 4, 4, 4, b, 2, 2, 2, 5, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  /* Same size: a copy. */
  g_assert_true (dm_resize_u8 (a, 4, 4, 4, b, 4, 4, 4, 1, &error));
  g_assert_cmpmem (a, 16, b, 16);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/resize/pil", test_against_pil);
  g_test_add_func ("/resize/reference", test_against_reference);
  g_test_add_func ("/resize/strides", test_strides);
  g_test_add_func ("/resize/invalid", test_invalid);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
