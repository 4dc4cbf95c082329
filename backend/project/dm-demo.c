/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The generated demo dataset and project. */
#include "dm-demo.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-image.h"
#include "dm-random.h"

void
dm_demo_settings_default (DmDemoSettings *s)
{
  s->size = 256;
  s->n_train = 40;
  s->n_test_good = 10;
  s->n_defect = 6;
  s->seed = 2025;
}

/* splitmix64: the same numbers on every platform */

static double
uniform (guint64 *r, double lo, double hi)
{
  return lo + (hi - lo) * dm_random_uniform (r);
}

/* A part being drawn: RGB floats 0..255 and the defect mask. */
typedef struct
{
  int n;
  float *rgb;   /* (n, n, 3) */
  guint8 *mask; /* (n, n) 0/255 */
} Canvas;

static void
put (Canvas *c, int x, int y, float r, float g, float b, float alpha, gboolean defect)
{
  float *p;

  if (x < 0 || y < 0 || x >= c->n || y >= c->n)
    return;
  p = c->rgb + ((gsize)y * c->n + x) * 3;
  p[0] = p[0] * (1 - alpha) + r * alpha;
  p[1] = p[1] * (1 - alpha) + g * alpha;
  p[2] = p[2] * (1 - alpha) + b * alpha;
  if (defect && alpha > 0.25f)
    c->mask[(gsize)y * c->n + x] = 255;
}

/* ---- washer: a machined ring on a dark plate ---- */

static void
draw_washer (Canvas *c, guint64 *r)
{
  double cx = c->n / 2.0 + uniform (r, -4, 4), cy = c->n / 2.0 + uniform (r, -4, 4);
  double outer = c->n * 0.36, inner = c->n * 0.16;
  double light = uniform (r, 0.92, 1.08), phase = uniform (r, 0, 2 * G_PI);

  for (int y = 0; y < c->n; y++)
    for (int x = 0; x < c->n; x++)
      {
        double dx = x + 0.5 - cx, dy = y + 0.5 - cy, rad = sqrt (dx * dx + dy * dy);
        double angle = atan2 (dy, dx), noise = uniform (r, -6, 6);
        float *p = c->rgb + ((gsize)y * c->n + x) * 3;

        if (rad > inner && rad < outer)
          {
            /* brushed metal: fine concentric grooves, a soft highlight */
            double v = 150 + 25 * sin (rad * 1.7) + 40 * cos (angle - phase) + noise;
            double edge = MIN (rad - inner, outer - rad);

            v = v * light * MIN (1.0, 0.55 + edge / 6.0);
            p[0] = (float)CLAMP (v, 0, 255);
            p[1] = (float)CLAMP (v * 0.98, 0, 255);
            p[2] = (float)CLAMP (v * 0.94, 0, 255);
          }
        else
          {
            double v = 42 + noise * 0.8;
            p[0] = (float)v;
            p[1] = (float)(v + 3);
            p[2] = (float)(v + 8);
          }
      }
}

static void
draw_line (
  Canvas *c, double x0, double y0, double x1, double y1, double width, float r, float g, float b)
{
  double len = hypot (x1 - x0, y1 - y0);

  for (double t = 0; t <= len; t += 0.5)
    {
      double x = x0 + (x1 - x0) * t / len, y = y0 + (y1 - y0) * t / len;

      for (int dy = (int)-width; dy <= (int)width; dy++)
        for (int dx = (int)-width; dx <= (int)width; dx++)
          if (dx * dx + dy * dy <= width * width)
            put (c, (int)(x + dx), (int)(y + dy), r, g, b, 0.85f, TRUE);
    }
}

static void
draw_blob (Canvas *c, double cx, double cy, double radius, float r, float g, float b)
{
  for (int y = (int)(cy - radius - 1); y <= (int)(cy + radius + 1); y++)
    for (int x = (int)(cx - radius - 1); x <= (int)(cx + radius + 1); x++)
      {
        double d = hypot (x + 0.5 - cx, y + 0.5 - cy) / radius;
        if (d < 1)
          put (c, x, y, r, g, b, (float)(1 - d * d * 0.5), TRUE);
      }
}

static void
washer_scratch (Canvas *c, guint64 *r)
{
  double a = uniform (r, 0, 2 * G_PI), rad = c->n * uniform (r, 0.2, 0.32);
  double x = c->n / 2.0 + rad * cos (a), y = c->n / 2.0 + rad * sin (a);
  double d = uniform (r, 0, 2 * G_PI), len = c->n * uniform (r, 0.08, 0.16);

  draw_line (c, x, y, x + len * cos (d), y + len * sin (d), 1.2, 40, 38, 36);
}

static void
washer_dent (Canvas *c, guint64 *r)
{
  double a = uniform (r, 0, 2 * G_PI), rad = c->n * uniform (r, 0.2, 0.32);

  draw_blob (c, c->n / 2.0 + rad * cos (a), c->n / 2.0 + rad * sin (a),
             c->n * uniform (r, 0.025, 0.045), 205, 160, 95);
}

/* ---- fabric: a woven texture ---- */

static void
draw_fabric (Canvas *c, guint64 *r)
{
  double period = uniform (r, 7.5, 8.5), shift = uniform (r, 0, period);
  double tint = uniform (r, -8, 8);

  for (int y = 0; y < c->n; y++)
    for (int x = 0; x < c->n; x++)
      {
        double u = (x + shift) / period * 2 * G_PI, v = (y + shift) / period * 2 * G_PI;
        /* warp and weft alternate over and under */
        double over = sin (u) * sin (v) > 0 ? 1 : 0;
        double thread = over ? 0.5 + 0.5 * cos (v) : 0.5 + 0.5 * cos (u);
        double val = 95 + 70 * thread + uniform (r, -7, 7);
        float *p = c->rgb + ((gsize)y * c->n + x) * 3;

        p[0] = (float)CLAMP (val * 0.55 + tint, 0, 255);
        p[1] = (float)CLAMP (val * 0.72 + tint, 0, 255);
        p[2] = (float)CLAMP (val * 0.95 + tint, 0, 255);
      }
}

static void
fabric_hole (Canvas *c, guint64 *r)
{
  draw_blob (c, uniform (r, 0.2, 0.8) * c->n, uniform (r, 0.2, 0.8) * c->n,
             c->n * uniform (r, 0.03, 0.06), 18, 16, 20);
}

static void
fabric_thread (Canvas *c, guint64 *r)
{
  double x = uniform (r, 0.2, 0.8) * c->n, y = uniform (r, 0.15, 0.4) * c->n;
  double len = c->n * uniform (r, 0.25, 0.45), wobble = uniform (r, -0.3, 0.3);

  draw_line (c, x, y, x + len * wobble, y + len, 1.6, 235, 190, 60);
}

typedef void (*DrawFunc) (Canvas *c, guint64 *r);

typedef struct
{
  const char *name;
  DrawFunc draw;
  const char *defects[2];
  DrawFunc defect_funcs[2];
} DemoClass;

static const DemoClass classes[] = {
  { "washer", draw_washer, { "scratch", "dent" }, { washer_scratch, washer_dent } },
  { "fabric", draw_fabric, { "hole", "thread" }, { fabric_hole, fabric_thread } },
};

static gboolean
make_dir (const char *root, const char *a, const char *b, const char *c, char **out, GError **error)
{
  char *dir = g_build_filename (root, a, b, c, NULL);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder: %s", dir,
                   g_strerror (saved));
      g_free (dir);
      return FALSE;
    }
  *out = dir;
  return TRUE;
}

static gboolean
save_canvas (const Canvas *c, const char *path, GError **error)
{
  g_autoptr (DmImage) img = dm_image_new (c->n, c->n, 3, DM_PIXEL_U8, error);

  if (img == NULL)
    return FALSE;
  for (int y = 0; y < c->n; y++)
    for (int x = 0; x < c->n * 3; x++)
      img->data[(gsize)y * img->stride + x]
        = (guint8)CLAMP (lrintf (c->rgb[(gsize)y * c->n * 3 + x]), 0, 255);
  return dm_image_save_png (img, path, error);
}

static gboolean
save_mask (const Canvas *c, const char *path, GError **error)
{
  g_autoptr (DmImage) img = dm_image_new (c->n, c->n, 1, DM_PIXEL_U8, error);

  if (img == NULL)
    return FALSE;
  for (int y = 0; y < c->n; y++)
    memcpy (img->data + (gsize)y * img->stride, c->mask + (gsize)y * c->n, c->n);
  return dm_image_save_png (img, path, error);
}

gboolean
dm_demo_write_dataset (const char *root, const DmDemoSettings *s, GError **error)
{
  gsize n_pixels = (gsize)s->size * s->size;
  g_autofree float *rgb = g_new (float, n_pixels * 3);
  g_autofree guint8 *mask = g_new (guint8, n_pixels);
  Canvas canvas = { s->size, rgb, mask };

  for (guint k = 0; k < G_N_ELEMENTS (classes); k++)
    {
      const DemoClass *dc = &classes[k];
      guint64 rng = s->seed * 1000003u + k;
      g_autofree char *train = NULL, *test_good = NULL;

      if (!make_dir (root, dc->name, "train", "good", &train, error)
          || !make_dir (root, dc->name, "test", "good", &test_good, error))
        return FALSE;
      for (int i = 0; i < s->n_train + s->n_test_good; i++)
        {
          g_autofree char *name = g_strdup_printf ("%03d.png", i < s->n_train ? i : i - s->n_train);
          g_autofree char *path = g_build_filename (i < s->n_train ? train : test_good, name, NULL);

          memset (mask, 0, n_pixels);
          dc->draw (&canvas, &rng);
          if (!save_canvas (&canvas, path, error))
            return FALSE;
        }
      for (int d = 0; d < 2; d++)
        {
          g_autofree char *test = NULL, *truth = NULL;

          if (!make_dir (root, dc->name, "test", dc->defects[d], &test, error)
              || !make_dir (root, dc->name, "ground_truth", dc->defects[d], &truth, error))
            return FALSE;
          for (int i = 0; i < s->n_defect; i++)
            {
              g_autofree char *name = g_strdup_printf ("%03d.png", i);
              g_autofree char *mask_name = g_strdup_printf ("%03d_mask.png", i);
              g_autofree char *path = g_build_filename (test, name, NULL);
              g_autofree char *mask_path = g_build_filename (truth, mask_name, NULL);

              memset (mask, 0, n_pixels);
              dc->draw (&canvas, &rng);
              dc->defect_funcs[d](&canvas, &rng);
              if (!save_canvas (&canvas, path, error) || !save_mask (&canvas, mask_path, error))
                return FALSE;
            }
        }
    }
  return TRUE;
}

gboolean
dm_demo_write_line_parts (
  const char *root, const DmDemoSettings *s, int n_good, int n_defect, GError **error)
{
  gsize n_pixels = (gsize)s->size * s->size;
  g_autofree float *rgb = g_new (float, n_pixels * 3);
  g_autofree guint8 *mask = g_new (guint8, n_pixels);
  Canvas canvas = { s->size, rgb, mask };

  for (guint k = 0; k < G_N_ELEMENTS (classes); k++)
    {
      const DemoClass *dc = &classes[k];
      /* another stream than the dataset's: new parts */
      guint64 rng = (s->seed + 7919) * 1000003u + k;
      g_autofree char *dir = NULL;
      int n = 0;

      if (!make_dir (root, dc->name, NULL, NULL, &dir, error))
        return FALSE;
      for (int d = -1; d < 2; d++)
        for (int i = 0; i < (d < 0 ? n_good : n_defect); i++)
          {
            g_autofree char *name
              = g_strdup_printf ("%s-%03d-%s.png", dc->name, ++n, d < 0 ? "good" : dc->defects[d]);
            g_autofree char *path = g_build_filename (dir, name, NULL);

            memset (mask, 0, n_pixels);
            dc->draw (&canvas, &rng);
            if (d >= 0)
              dc->defect_funcs[d](&canvas, &rng);
            if (!save_canvas (&canvas, path, error))
              return FALSE;
          }
    }
  return TRUE;
}

/* The station's corner of the demo: an empty hot folder and new parts. */
static gboolean
ensure_line (const char *folder, GError **error)
{
  g_autofree char *hot = NULL, *parts = g_build_filename (folder, "new-parts", NULL);
  DmDemoSettings settings;

  if (!make_dir (folder, "hot", NULL, NULL, &hot, error))
    return FALSE;
  if (g_file_test (parts, G_FILE_TEST_IS_DIR))
    return TRUE;
  dm_demo_settings_default (&settings);
  return dm_demo_write_line_parts (parts, &settings, 6, 3, error);
}

DmProject *
dm_demo_project_ensure (const char *folder, GError **error)
{
  g_autofree char *file = g_build_filename (folder, DM_PROJECT_FILE, NULL);
  g_autofree char *dataset = g_build_filename (folder, "dataset", NULL);
  g_autoptr (DmProject) project = NULL;
  DmDemoSettings settings;

  if (g_file_test (file, G_FILE_TEST_EXISTS))
    {
      project = dm_project_open (folder, error);
      if (project == NULL || !ensure_line (folder, error))
        return NULL;
      return g_steal_pointer (&project);
    }
  dm_demo_settings_default (&settings);
  project = dm_project_create (folder, "Demo: generated parts", error);
  if (project == NULL || !dm_demo_write_dataset (dataset, &settings, error))
    return NULL;
  for (guint k = 0; k < G_N_ELEMENTS (classes); k++)
    {
      g_autofree char *source = g_build_filename (dataset, classes[k].name, NULL);
      if (!dm_project_add_class (project, dm_project_class_new (classes[k].name, "mvtec", source),
                                 error))
        return NULL;
    }
  project->backbone_kind = g_strdup ("random");
  project->backbone_arch = g_strdup ("small");
  /* a try-out, not a model: 100 iterations of the quick preset (minutes on
   * two cores instead of the hour that 1,000 take) */
  json_object_set_int_member (project->settings, "total_iters", 100);
  json_object_set_int_member (project->settings, "warmup_iters", 10);
  json_object_set_int_member (project->settings, "hm_ramp_iters", 50);
  if (!dm_project_save (project, error) || !ensure_line (folder, error))
    return NULL;
  return g_steal_pointer (&project);
}
