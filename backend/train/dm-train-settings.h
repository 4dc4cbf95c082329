/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every setting of a training job (spec/dinomaly.md §1, §3, §5), with the
 * paper's values as defaults, the presets of §8, checks, and a JSON form
 * (kept in checkpoints so a resumed run can refuse different settings). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "dm-json-util.h"

#include "dm-loss.h"
#include "dm-optimizer.h"

G_BEGIN_DECLS

/* Every preset is ViT-B at 448/392 with batch 16 and dropout 0.2 unless
 * said otherwise. */
typedef enum
{
  DM_TRAIN_PRESET_QUICK,        /* ViT-S, 256/224, 1000 iterations, batch 8 */
  DM_TRAIN_PRESET_BALANCED,     /* ViT-B or S, 320/280, 3000 iterations, batch 8 */
  DM_TRAIN_PRESET_PAPER,        /* the paper on MVTec AD and VisA: 10,000 iterations */
  DM_TRAIN_PRESET_PAPER_LONG,   /* "Dinomaly↑" on MVTec AD and VisA: 20,000 iterations */
  DM_TRAIN_PRESET_REALIAD,      /* the paper on Real-IAD: 50,000 iterations, dropout 0.4 */
  DM_TRAIN_PRESET_REALIAD_LONG, /* "Dinomaly↑" on Real-IAD: 100,000 iterations, dropout 0.4 */
  DM_TRAIN_PRESET_PAPER_LARGE,  /* the paper's ViT-L/14 row: 10,000 iterations */
  DM_TRAIN_PRESET_PER_CLASS,    /* the paper's class-separated setting (Table 2): one model per
                                 * class, 5,000 iterations each */
} DmTrainPreset;

typedef struct
{
  /* input (§1) */
  int resize; /* 448 */
  int crop;   /* 392, a multiple of the patch size */

  /* what to run: iterations [start_iter, start_iter + iters) of a
   * schedule of total_iters (iters <= 0: up to total_iters) */
  gint64 total_iters; /* T: 10000 */
  gint64 start_iter;  /* 0; > 0 with fresh optimizer state (e.g. --init) */
  gint64 iters;       /* 0: all of them */
  int batch;          /* 16 */

  /* model (§3) */
  float dropout; /* 0.2 */

  /* one model per class (the paper's class-separated setting) instead of
   * one unified model: the training sequence (pipeline/dm-training.h) runs
   * these settings once per class; a trainer never reads it */
  gboolean per_class;

  /* loss (§5) */
  DmLossSettings loss; /* p_final 0.9, ramp 1000, factor 0.1 */

  /* optimizer and schedule (§5): lr 2e-3 -> 2e-4, warm-up 100, betas
   * 0.9/0.999, wd 1e-4, eps 1e-10, clip 0.1; total_iters is copied in */
  DmOptimizerSettings opt;

  /* data order and randomness */
  guint64 seed;     /* 1: init, shuffling, dropout */
  gboolean shuffle; /* TRUE: a seeded permutation per epoch; FALSE: file order */

  /* checkpoints: every checkpoint_every iterations (0: only at the end
   * and on cancel) into checkpoint_dir (NULL: none) */
  gint64 checkpoint_every;
  char *checkpoint_dir;

  /* the encoder-feature cache: bf16 halves it (stored only; the maths
   * stays float32); cache_dir: where a cache too large for memory goes
   * (NULL: refuse with the size needed) */
  gboolean cache_bf16;
  char *cache_dir;
  guint64 cache_max_bytes; /* 0: 80% of the available memory */

  int n_threads; /* 0: all cores */
} DmTrainSettings;

/* The paper's values (§5): the "paper" preset. */
void dm_train_settings_init (DmTrainSettings *settings);
void dm_train_settings_clear (DmTrainSettings *settings);
void dm_train_settings_copy (DmTrainSettings *dst, const DmTrainSettings *src);

/* Sets resize, crop, total_iters, batch, dropout and per_class of a preset
 * (others unchanged). */
void dm_train_settings_apply_preset (DmTrainSettings *settings, DmTrainPreset preset);
/* "quick", "balanced", "paper", "paper-long", "realiad", "realiad-long",
 * "paper-large", "paper-per-class" <-> preset; FALSE for an unknown name. */
gboolean dm_train_preset_from_name (const char *name, DmTrainPreset *preset);
/* How many presets there are: DmTrainPreset runs from 0 to this, the
 * order in which to offer them. */
guint dm_train_preset_count (void);
const char *dm_train_preset_name (DmTrainPreset preset);
/* What the window shows, untranslated ("Paper: Real-IAD"): pass it
 * through gettext. */
const char *dm_train_preset_title (DmTrainPreset preset);
/* The members of the settings' JSON form that a preset sets (NULL-ended):
 * choosing a preset drops a user's own values of these. */
const char *const *dm_train_preset_settings (void);
/* "quick, balanced, ... or realiad-long", for messages. */
char *dm_train_preset_list (void);
/* The backbone a preset is meant for: "small", "base" or "large". */
const char *dm_train_preset_arch (DmTrainPreset preset);

/* Checks every value for sense; the message names the setting. */
gboolean dm_train_settings_validate (const DmTrainSettings *settings, GError **error);

/* The first iteration after the run (start_iter + iters, or total_iters). */
gint64 dm_train_settings_end_iter (const DmTrainSettings *settings);

/* The settings that change numbers, as one JSON object (paths and thread
 * count left out), and back (missing members keep their defaults). */
char *dm_train_settings_to_json (const DmTrainSettings *settings);
gboolean dm_train_settings_from_json (DmTrainSettings *settings, const char *json, GError **error);
/* The same from a parsed object (a member of a larger document). */
gboolean
dm_train_settings_from_object (DmTrainSettings *settings, JsonObject *object, GError **error);

G_END_DECLS
