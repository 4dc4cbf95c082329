/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Random DINOv2-shaped encoders for benchmarks and the try-out backbone. */
#include "dm-vit-random.h"

#include <math.h>
#include <string.h>
#include "dm-random.h"

gboolean
dm_vit_config_for_arch (const char *arch, DmVitConfig *c)
{
  int dim, depth;

  if (g_strcmp0 (arch, "small") == 0)
    dim = 384, depth = 12;
  else if (g_strcmp0 (arch, "base") == 0)
    dim = 768, depth = 12;
  else if (g_strcmp0 (arch, "large") == 0)
    dim = 1024, depth = 24;
  else if (g_strcmp0 (arch, "tiny") == 0)
    dim = 64, depth = 12; /* not a DINOv2 size: for tests and quick try-outs */
  else
    return FALSE;
  memset (c, 0, sizeof *c);
  c->dim = dim;
  c->heads = dim / 64;
  c->head_dim = 64;
  c->depth = depth;
  c->n_registers = 4;
  c->patch_size = 14;
  c->pos_grid = 37;
  c->mlp_hidden = 4 * dim;
  c->ln_eps = 1e-6f;
  return TRUE;
}

/* splitmix64 + Box-Muller: reproducible on every platform */

static void
fill_normal (guint64 *r, float *x, gsize n, double std)
{
  for (gsize i = 0; i < n; i += 2)
    {
      double u = dm_random_open01 (r), v = dm_random_open01 (r);
      double rad = sqrt (-2.0 * log (u)) * std;

      x[i] = (float)(rad * cos (2 * G_PI * v));
      if (i + 1 < n)
        x[i + 1] = (float)(rad * sin (2 * G_PI * v));
    }
}

static void
fill_value (float *x, gsize n, float v)
{
  for (gsize i = 0; i < n; i++)
    x[i] = v;
}

DmVitWeights *
dm_vit_weights_new_random (const DmVitConfig *c, int n_blocks, guint64 seed, GError **error)
{
  DmVitWeights *w = dm_vit_weights_alloc (c, n_blocks, error);
  gsize d = c->dim, h = c->mlp_hidden, gg = (gsize)c->pos_grid * c->pos_grid;
  gsize patch_in = 3 * (gsize)c->patch_size * c->patch_size;
  guint64 rng = seed;

  if (w == NULL)
    return NULL;
  fill_normal (&rng, w->cls_token, d, 0.02);
  fill_normal (&rng, w->cls_pos, (1 + gg) * d, 0.02);
  fill_normal (&rng, w->register_tokens, c->n_registers * d, 0.02);
  fill_normal (&rng, w->patch_w, d * patch_in, 1.0 / sqrt ((double)patch_in));
  fill_value (w->norm_w, d, 1.0f);
  for (int i = 0; i < w->n_blocks; i++)
    {
      DmVitBlockWeights *b = &w->blocks[i];

      fill_value (b->norm1_w, d, 1.0f);
      fill_value (b->norm2_w, d, 1.0f);
      fill_normal (&rng, b->qkv_w, 3 * d * d, 1.0 / sqrt ((double)d));
      fill_normal (&rng, b->proj_w, d * d, 1.0 / sqrt ((double)d));
      fill_normal (&rng, b->fc1_w, h * d, 1.0 / sqrt ((double)d));
      fill_normal (&rng, b->fc2_w, d * h, 1.0 / sqrt ((double)h));
      fill_value (b->ls1, d, 0.1f);
      fill_value (b->ls2, d, 0.1f);
    }
  return w;
}
