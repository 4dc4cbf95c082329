/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Random encoder weights of the real DINOv2 shapes. */
#include "dm-vit-random.h"

#include <math.h>
#include <string.h>

gboolean
dm_vit_config_for_arch (const char *arch, DmVitConfig *config)
{
  if (g_strcmp0 (arch, "small") == 0)
    dm_vit_config_custom (config, 384, 12);
  else if (g_strcmp0 (arch, "base") == 0)
    dm_vit_config_custom (config, 768, 12);
  else if (g_strcmp0 (arch, "large") == 0)
    dm_vit_config_custom (config, 1024, 24);
  else
    return FALSE;
  return TRUE;
}

void
dm_vit_config_custom (DmVitConfig *config, int dim, int depth)
{
  memset (config, 0, sizeof *config);
  config->dim = dim;
  config->head_dim = 64;
  config->heads = MAX (dim / 64, 1);
  config->depth = depth;
  config->n_registers = 4;
  config->patch_size = 14;
  config->pos_grid = 37;
  config->mlp_hidden = 4 * dim;
  config->ln_eps = 1e-6f;
}

/* SplitMix64 + Box-Muller: seeded, portable. */
static guint64
next_u64 (guint64 *state)
{
  guint64 z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double
next_normal (guint64 *state)
{
  double u1 = ((next_u64 (state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
  double u2 = (next_u64 (state) >> 11) * (1.0 / 9007199254740992.0);
  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

static void
fill (float *x, gsize n, double mean, double std, guint64 *state)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float)(mean + std * next_normal (state));
}

DmVitWeights *
dm_vit_weights_new_random (const DmVitConfig *c, int n_blocks, guint64 seed, GError **error)
{
  DmVitWeights *w = dm_vit_weights_new (c, n_blocks, error);
  gsize d = c->dim, h = c->mlp_hidden, pp = (gsize)3 * c->patch_size * c->patch_size;
  guint64 state = seed;

  if (w == NULL)
    return NULL;
  fill (w->cls_token, d, 0, 0.02, &state);
  fill (w->cls_pos, (1 + (gsize)c->pos_grid * c->pos_grid) * d, 0, 0.02, &state);
  fill (w->register_tokens, c->n_registers * d, 0, 0.02, &state);
  fill (w->patch_w, d * pp, 0, 1.0 / sqrt ((double)pp), &state);
  fill (w->patch_b, d, 0, 0.02, &state);
  fill (w->norm_w, d, 1, 0, &state);
  for (int i = 0; i < w->n_blocks; i++)
    {
      DmVitBlockWeights *b = &w->blocks[i];

      fill (b->norm1_w, d, 1, 0.1, &state);
      fill (b->norm1_b, d, 0, 0.02, &state);
      fill (b->qkv_w, 3 * d * d, 0, 1.0 / sqrt ((double)d), &state);
      fill (b->qkv_b, 3 * d, 0, 0.02, &state);
      fill (b->proj_w, d * d, 0, 1.0 / sqrt ((double)d), &state);
      fill (b->proj_b, d, 0, 0.02, &state);
      fill (b->ls1, d, 0.1, 0, &state);
      fill (b->norm2_w, d, 1, 0.1, &state);
      fill (b->norm2_b, d, 0, 0.02, &state);
      fill (b->fc1_w, h * d, 0, 1.0 / sqrt ((double)d), &state);
      fill (b->fc1_b, h, 0, 0.02, &state);
      fill (b->fc2_w, d * h, 0, 1.0 / sqrt ((double)h), &state);
      fill (b->fc2_b, d, 0, 0.02, &state);
      fill (b->ls2, d, 0.1, 0, &state);
    }
  return w;
}
