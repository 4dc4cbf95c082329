/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test data the tests build for themselves. */
#include "dm-test-data.h"

#include "dm-dinomaly-weights.h"
#include "dm-image.h"
#include "dm-safetensors.h"
#include "dm-test-util.h"
#include "dm-vit-weights.h"

void
dm_test_copy_file (const char *from, const char *to)
{
  g_autofree char *bytes = NULL;
  g_autofree char *dir = g_path_get_dirname (to);
  g_autoptr (GError) error = NULL;
  gsize len;

  g_file_get_contents (from, &bytes, &len, &error);
  g_assert_no_error (error);
  g_mkdir_with_parents (dir, 0755);
  g_file_set_contents (to, bytes, (gssize)len, &error);
  g_assert_no_error (error);
}

JsonObject *
dm_test_load_json (JsonParser *parser, const char *path)
{
  g_autoptr (GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

gboolean
dm_test_have_program (const char *program)
{
  g_autofree char *found = g_find_program_in_path (program);

  return found != NULL;
}

static gboolean
in_patch (int x, int y, int w, int h)
{
  return x > w / 3 && x < w / 2 && y > h / 3 && y < h / 2;
}

void
dm_test_write_noise_image (const char *path, int w, int h, guint64 seed, gboolean defect)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) img = dm_image_new (w, h, 3, DM_PIXEL_U8, &error);
  g_autofree float *noise = g_new (float, (gsize)w *h * 3);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_no_error (error);
  dm_test_fill_uniform (noise, (gsize)w * h * 3, 60.0f, 120.0f, seed);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w * 3; x++)
      img->data[(gsize)y * img->stride + x]
        = (guint8)(noise[(gsize)y * w * 3 + x] + (defect && in_patch (x / 3, y, w, h) ? 120 : 0));
  g_mkdir_with_parents (dir, 0755);
  g_assert_true (dm_image_save_png (img, path, &error));
  g_assert_no_error (error);
}

void
dm_test_write_patch_mask (const char *path, int w, int h)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) img = dm_image_new (w, h, 1, DM_PIXEL_U8, &error);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_no_error (error);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      img->data[(gsize)y * img->stride + x] = in_patch (x, y, w, h) ? 255 : 0;
  g_mkdir_with_parents (dir, 0755);
  g_assert_true (dm_image_save_png (img, path, &error));
  g_assert_no_error (error);
}

void
dm_test_write_mvtec_class (const char *root, const char *name, guint64 seed)
{
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *train = g_strdup_printf ("%s/%s/train/good/%03d.png", root, name, i);
      g_autofree char *good = g_strdup_printf ("%s/%s/test/good/%03d.png", root, name, i);
      g_autofree char *bad = g_strdup_printf ("%s/%s/test/bad/%03d.png", root, name, i);
      g_autofree char *mask
        = g_strdup_printf ("%s/%s/ground_truth/bad/%03d_mask.png", root, name, i);

      if (i < 2)
        dm_test_write_noise_image (train, 80, 60, seed + 10 + i, FALSE);
      dm_test_write_noise_image (good, 80, 60, seed + 20 + i, FALSE);
      dm_test_write_noise_image (bad, 80, 60, seed + 30 + i, TRUE);
      dm_test_write_patch_mask (mask, 80, 60);
    }
}

void
dm_test_write_tiny_model (const char *path,
                          const char *class_names,
                          void (*adjust) (DmModelInfo *info))
{
  g_autofree char *dir = g_build_filename (dm_test_srcdir (), "data", "forward", NULL);
  g_autofree char *encoder_path = g_build_filename (dir, "encoder_timm_bf16.safetensors", NULL);
  g_autofree char *decoder_path = g_build_filename (dir, "decoder_f32.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmVitWeights) encoder = dm_vit_weights_load (encoder_path, -1, &error);
  g_autoptr (DmSafetensors) dec_file = dm_safetensors_open (decoder_path, &error);
  g_autoptr (DmDinomalyWeights) decoder = NULL;
  g_autoptr (DmModelInfo) info = dm_model_info_new ();

  g_assert_no_error (error);
  decoder = dm_dinomaly_weights_load (dec_file, encoder->config.dim, &error);
  g_assert_no_error (error);
  g_assert_true (dm_model_info_set_backbone (info, &encoder->config, &error));
  info->resize = 256;
  info->crop = 224;
  g_strfreev (info->class_names);
  info->class_names = g_strsplit (class_names, ",", -1);
  info->backbone_name = g_strdup ("encoder_timm_bf16.safetensors");
  info->backbone_sha256 = g_strnfill (64, 'a');
  if (adjust != NULL)
    adjust (info);
  g_assert_true (dm_model_file_write (path, info, decoder, encoder, DM_DTYPE_BF16, &error));
  g_assert_no_error (error);
}

DmDinomalyModel *
dm_test_tiny_model (void)
{
  g_autofree char *dir = g_build_filename (dm_test_srcdir (), "data", "forward", NULL);
  g_autofree char *encoder_path = g_build_filename (dir, "encoder_timm_bf16.safetensors", NULL);
  g_autofree char *decoder_path = g_build_filename (dir, "decoder_f32.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) dec_file = dm_safetensors_open (decoder_path, &error);
  DmVitWeights *encoder = dm_vit_weights_load (encoder_path, -1, &error);
  DmDinomalyWeights *decoder;
  DmDinomalyModel *model;

  g_assert_no_error (error);
  decoder = dm_dinomaly_weights_load (dec_file, encoder->config.dim, &error);
  g_assert_no_error (error);
  model = dm_dinomaly_model_new (encoder, decoder, &error);
  g_assert_no_error (error);
  model->resize = 256;
  model->crop = 224;
  for (int i = 0; i < 8; i++)
    model->targets.targets[i] = 2 + i; /* the tiny encoder is 10 deep */
  return model;
}
