/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly bench infer|train`: how fast this machine runs Dinomaly, in
 * images per second and as a fraction of what its own matmul peak allows,
 * on random weights of the real DINOv2 shapes. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-bench.h"
#include "dm-cli.h"
#include "dm-dinomaly.h"
#include "dm-error.h"
#include "dm-vit-random.h"

#define BENCH_SEED 20250101

static double
seconds_since (gint64 t0)
{
  return (double)(g_get_monotonic_time () - t0) * 1e-6;
}

/* Times one row: a warm-up batch (primitive creation, first touch of the
 * activations), then `runs` batches through the whole inference (encoder,
 * decoder, maps, scores), each after one product of the matmul peak, so
 * that the peak is sampled through the same spells of load as the rows;
 * the best run counts, against the best peak of the whole session. Decoding and preprocessing are
 * not part of it. Peak memory is that of the inference alone (the peak's matrices are freed
 * before). */
static gboolean
measure_row (DmDinomalyModel *model,
             DmBenchPeak *peak,
             int runs,
             gboolean profile,
             DmBenchRow *row,
             GError **error)
{
  DmPrecision precision = strcmp (row->dtype, "bf16") == 0 ? DM_PRECISION_BF16 : DM_PRECISION_F32;
  g_autoptr (DmEngine) engine = NULL;
  g_autoptr (DmInference) inference = NULL;
  g_autofree float *img = NULL, *maps = NULL, *scores = NULL;
  int B = row->batch, crop = row->crop;
  gsize n_img = (gsize)B * 3 * crop * crop;
  double best = G_MAXDOUBLE, rss;

  model->crop = crop;
  model->resize = dm_bench_resize_for_crop (crop);
  dm_bench_reset_peak_rss ();
  engine = dm_engine_new (row->threads, error);
  if (engine == NULL)
    return FALSE;
  dm_engine_set_precision (engine, precision);
  inference = dm_inference_new (engine, model, B, error);
  if (inference == NULL)
    return FALSE;
  img = g_new (float, n_img);
  maps = g_new (float, (gsize)B *DM_ANOMALY_MAP_SIZE *DM_ANOMALY_MAP_SIZE);
  scores = g_new (float, B);
  for (gsize i = 0; i < n_img; i++) /* a normalised pattern */
    img[i] = (float)((i * 2654435761u) % 4096) / 1024.0f - 2.0f;
  if (!dm_inference_run (inference, img, B, maps, scores, error))
    return FALSE;
  rss = dm_bench_peak_rss_mb ();
  dm_engine_set_profiling (engine, profile);
  for (int r = 0; r < runs; r++)
    {
      double gflops;
      gint64 t0;

      if (!dm_bench_peak_run (peak, &gflops, error))
        return FALSE;
      dm_bench_reset_peak_rss ();
      t0 = g_get_monotonic_time ();
      if (!dm_inference_run (inference, img, B, maps, scores, error))
        return FALSE;
      best = MIN (best, seconds_since (t0));
      rss = MAX (rss, dm_bench_peak_rss_mb ());
    }
  row->seconds_per_batch = best;
  row->images_per_s = B / best;
  row->peak_rss_mb = rss;
  if (profile)
    row->profile = dm_engine_format_profile (engine, runs);
  return TRUE;
}

static void
set_limit (DmBenchRow *row, double peak_gflops)
{
  row->peak_gflops = peak_gflops;
  if (row->skipped == NULL)
    row->fraction_of_limit = row->images_per_s / (peak_gflops / row->gflop_per_image);
}

static DmDinomalyModel *
random_model (const char *arch, GError **error)
{
  DmVitConfig config;
  DmVitTargets targets;
  DmVitWeights *encoder;
  DmDinomalyWeights *decoder;

  if (!dm_vit_config_for_arch (arch, &config))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "unknown architecture %s", arch);
      return NULL;
    }
  dm_vit_targets_default (&targets, &config);
  encoder = dm_vit_weights_new_random (&config, targets.targets[targets.n_targets - 1] + 1,
                                       BENCH_SEED, error);
  if (encoder == NULL)
    return NULL;
  decoder = dm_dinomaly_weights_new (config.dim, error);
  if (decoder == NULL)
    {
      dm_vit_weights_free (encoder);
      return NULL;
    }
  dm_dinomaly_weights_init (decoder, BENCH_SEED);
  return dm_dinomaly_model_new (encoder, decoder, error);
}

static int
bench_infer (DmBenchOptions *o)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) rows = g_array_new (FALSE, TRUE, sizeof (DmBenchRow));
  g_autofree char *bf16_reason = NULL;
  gboolean bf16 = dm_bench_have_bf16 (&bf16_reason);
  int threads = o->threads;
  DmBenchPeak *peaks[2] = { NULL, NULL }; /* f32, bf16 */
  double gflops = 0;
  int rc = DM_CLI_OK;

  if (threads <= 0)
    {
      g_autoptr (DmEngine) probe = dm_engine_new (0, &error);

      if (probe == NULL)
        goto failed;
      threads = dm_engine_get_n_threads (probe);
    }
  printf ("dinomaly bench infer: %d threads, oneDNN ISA %s", threads, dm_bench_isa_name ());
  for (int d = 0; d < 2; d++)
    {
      /* a peak for each data type that has rows to time */
      if (!dm_bench_options_want_dtype (o, dm_bench_dtypes[d]) || (d == 1 && !bf16))
        continue;
      peaks[d] = dm_bench_peak_new (threads, d == 1 ? DM_PRECISION_BF16 : DM_PRECISION_F32, &error);
      if (peaks[d] == NULL)
        goto failed;
      for (int r = 0; r < 5; r++)
        if (!dm_bench_peak_run (peaks[d], &gflops, &error))
          goto failed;
      printf (", %s matmul peak %.1f GFLOP/s", dm_bench_dtypes[d], dm_bench_peak_best (peaks[d]));
    }
  printf (" (2048^3, best of 5 so far)\nRandom weights of the real shapes. Each row: the whole "
          "inference of a batch "
          "(encoder,\ndecoder, maps, scores), best of %d runs after a warm-up; one peak "
          "matmul before\neach run samples the machine's load alike. limit = best peak / "
          "GFLOP per image;\nfraction = images/s / limit.\n",
          o->runs);
  if (!bf16)
    printf ("bf16 rows skipped: %s.\n", bf16_reason);
  if (!o->no_pytorch)
    {
      DmBenchPytorch probe = { 0 };

      dm_bench_pytorch_available (&probe);
      if (probe.skipped != NULL)
        printf ("PyTorch column empty: %s.\n", probe.skipped);
      else
        printf (
          "PyTorch: the same inference in PyTorch (build-aux/bench-pytorch.py), same threads, "
          "float32; ratio = dinomaly / PyTorch.\n");
      dm_bench_pytorch_clear (&probe);
    }
  printf ("\n");
  dm_bench_print_header ();
  fflush (stdout);

  for (guint a = 0; a < G_N_ELEMENTS (dm_bench_archs); a++)
    {
      const char *arch = dm_bench_archs[a];
      g_autoptr (DmDinomalyModel) model = NULL; /* made for the first timed row */
      DmVitConfig config;
      DmVitTargets targets;

      dm_vit_config_for_arch (arch, &config);
      dm_vit_targets_default (&targets, &config);
      /* --crop and --batch may name sizes outside the table */
      for (guint c = 0; c < (o->crop > 0 ? 1 : G_N_ELEMENTS (dm_bench_crops)); c++)
        for (guint b = 0; b < (o->batch > 0 ? 1 : G_N_ELEMENTS (dm_bench_batches)); b++)
          for (guint d = 0; d < G_N_ELEMENTS (dm_bench_dtypes); d++)
            {
              DmBenchRow row = { 0 };

              row.mode = "infer";
              row.arch = arch;
              row.crop = o->crop > 0 ? o->crop : dm_bench_crops[c];
              row.batch = o->batch > 0 ? o->batch : dm_bench_batches[b];
              row.dtype = dm_bench_dtypes[d];
              if (!dm_bench_options_want (o, arch, row.crop, row.batch, row.dtype))
                continue;
              row.threads = threads;
              row.peak_gflops = NAN;
              row.fraction_of_limit = NAN;
              row.pytorch_images_per_s = NAN;
              row.gflop_per_image = dm_bench_inference_flop (
                                      &config, targets.targets[targets.n_targets - 1], row.crop)
                                    * 1e-9;
              if (strcmp (row.dtype, "bf16") == 0 && !bf16)
                row.skipped = g_strdup (bf16_reason);
              else
                {
                  DmBenchPeak *peak = peaks[d];

                  if (model == NULL)
                    model = random_model (arch, &error);
                  if (model == NULL
                      || !measure_row (model, peak, MAX (o->runs, 1), o->profile, &row, &error))
                    goto failed;
                  set_limit (&row, dm_bench_peak_best (peak));
                  /* PyTorch's baseline is float32 */
                  if (!o->no_pytorch && d == 0)
                    {
                      dm_bench_pytorch_run ("infer", arch, row.crop, row.batch, threads,
                                            MAX (o->runs, 1), &row.pytorch);
                      row.pytorch_images_per_s
                        = row.pytorch.skipped == NULL ? row.pytorch.images_per_s : NAN;
                    }
                }
              dm_bench_print_row (&row);
              fflush (stdout);
              g_array_append_val (rows, row);
            }
    }
  {
    /* a later peak run may have beaten the one a row was printed with:
     * every fraction is against the best, so say it again where it moved */
    gboolean moved = FALSE;

    for (guint i = 0; i < rows->len; i++)
      {
        DmBenchRow *row = &g_array_index (rows, DmBenchRow, i);
        double best;

        if (row->skipped != NULL)
          continue;
        best = dm_bench_peak_best (peaks[strcmp (row->dtype, "bf16") == 0]);
        moved |= row->peak_gflops < best * 0.995;
        set_limit (row, best);
      }
    if (moved)
      {
        printf ("\nThe peak rose during the runs; against the best:\n\n");
        dm_bench_print_header ();
        for (guint i = 0; i < rows->len; i++)
          dm_bench_print_row (&g_array_index (rows, DmBenchRow, i));
      }
  }
  for (int d = 0; d < 2; d++)
    dm_bench_peak_free (peaks[d]);
  if (rows->len == 0)
    {
      g_printerr ("dinomaly bench infer: no row matches these options\n");
      rc = DM_CLI_USAGE;
    }
  else if (o->json != NULL
           && !dm_bench_write_json (o->json, (DmBenchRow *)(void *)rows->data, rows->len, &error))
    goto failed;
  for (guint i = 0; i < rows->len; i++)
    dm_bench_row_clear (&g_array_index (rows, DmBenchRow, i));
  return rc;

failed:
  for (int d = 0; d < 2; d++)
    dm_bench_peak_free (peaks[d]);
  for (guint i = 0; i < rows->len; i++)
    dm_bench_row_clear (&g_array_index (rows, DmBenchRow, i));
  dm_cli_print_error ("bench infer", error);
  return DM_CLI_FAILED;
}

int
dm_cli_bench (int argc, char **argv)
{
  DmBenchOptions options = { .runs = 3 };
  g_autoptr (GError) error = NULL;
  const char *mode = argc > 1 ? argv[1] : NULL;
  g_autofree char *command = NULL;
  int rc;

  if (mode != NULL && strcmp (mode, "station") == 0)
    return dm_cli_bench_station (argc - 1, argv + 1);
  if (mode == NULL || (strcmp (mode, "infer") != 0 && strcmp (mode, "train") != 0))
    {
      if (mode != NULL && (strcmp (mode, "--help") == 0 || strcmp (mode, "-h") == 0))
        {
          printf ("Usage: dinomaly bench infer|train|station [OPTION…]\n\n"
                  "Measures how fast this machine runs Dinomaly on random weights of the real\n"
                  "shapes (ViT-S/14, ViT-B/14 and ViT-L/14; crops 224, 280, 392; batch 1\n"
                  "and 8): images per second, GFLOP per image, peak memory, and the fraction\n"
                  "of the limit that the machine's own f32 matmul peak sets.\n\n"
                  "`bench station` measures the inspection station on a generated source.\n\n"
                  "Run 'dinomaly bench infer --help' for the options.\n");
          return DM_CLI_OK;
        }
      return dm_cli_usage_error ("bench", "give a mode, infer, train or station");
    }
  /* training has its own options (presets, iterations): its own parser */
  if (strcmp (mode, "train") == 0)
    return dm_cli_bench_train (argc - 1, argv + 1);
  command = g_strdup_printf ("bench %s", mode);
  argc--;
  argv++;
  if (!dm_cli_parse (command, "",
                     strcmp (mode, "infer") == 0
                       ? "Inference speed: images/s per architecture, crop, batch and data type,\n"
                         "as a fraction of what the machine's f32 matmul peak allows. Without\n"
                         "options, every row (ViT-S, ViT-B and ViT-L; crops 224, 280, 392; batch\n"
                         "1, 8; f32, bf16); each option narrows them."
                       : "",
                     dm_bench_option_entries (&options), &argc, &argv))
    {
      dm_bench_options_clear (&options);
      return DM_CLI_USAGE;
    }
  if (argc > 1)
    {
      g_printerr ("dinomaly %s: unexpected argument '%s'\nTry 'dinomaly %s --help'.\n", command,
                  argv[1], command);
      dm_bench_options_clear (&options);
      return DM_CLI_USAGE;
    }
  if (!dm_bench_options_check (&options, &error))
    {
      dm_bench_options_clear (&options);
      return dm_cli_usage_error (command, error->message);
    }
  rc = bench_infer (&options);
  dm_bench_options_clear (&options);
  return rc;
}
