/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The training job: feature cache, iterations, checkpoints, resume. */
#include "dm-trainer.h"

#include "dm-file-util.h"

#include <math.h>
#include <string.h>

#include "dm-arena.h"
#include "dm-checkpoint.h"
#include "dm-error.h"
#include "dm-packed.h"
#include "dm-train-step.h"
#include "dm-random.h"

/* Images per encoder forward while caching: bench infer's batch 8, whose
 * speed the cache is meant to reach. */
#define CACHE_CHUNK 8

struct _DmTrainer
{
  DmEngine *engine;            /* borrowed */
  const DmVitWeights *encoder; /* borrowed; NULL once released */
  DmVitConfig config;          /* the encoder's */
  DmVitTargets targets;
  DmTrainSettings settings;
  int N, first_patch;

  DmDinomalyWeights *weights; /* owned */
  DmTrainStep *step;          /* owned */
  DmFeatureCache *cache;      /* owned, built once */

  int n_images;
  gboolean stale_removed; /* leftovers of killed checkpoint writes removed */
  DmTrainImageFunc load;
  gpointer load_data;
  char *fingerprint;

  gint64 next_iter;
  gint64 first_iter;
  GArray *losses; /* float, from first_iter */
  double train_seconds;
  double cache_seconds;
  char *started;
  char *checkpoint_path;
  gint64 checkpoint_iter; /* next_iter of the last checkpoint, -1: none */

  int *valid; /* (n_valid) the images that could be read, by source index */
  int n_valid;
  GPtrArray *skipped; /* char *: why each unreadable image was skipped */
  int *perm;          /* (n_valid) the permutation of the current epoch */
  gint64 perm_epoch;
  int *perm_next; /* (n_valid) the next epoch's, for prefetching across it */
  int *indices;   /* (B) */
};

/* SplitMix64: the sampler's and the dropout seeds' generator. */
static guint64
mix64 (guint64 z)
{
  return dm_splitmix64 (&z);
}

guint64
dm_train_dropout_seed (guint64 seed, gint64 it)
{
  return mix64 (mix64 (seed) ^ mix64 ((guint64)it ^ 0xD50F0D0ull));
}

static void
epoch_permutation (guint64 seed, gboolean shuffle, int n, gint64 epoch, int *perm)
{
  guint64 state = mix64 (seed ^ 0x5A3B1E5ull) ^ mix64 ((guint64)epoch);

  for (int i = 0; i < n; i++)
    perm[i] = i;
  if (!shuffle)
    return;
  /* Fisher-Yates, high to low */
  for (int i = n - 1; i > 0; i--)
    {
      int j;
      int t;

      state = mix64 (state);
      j = (int)(state % (guint64)(i + 1));
      t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
}

void
dm_train_batch_indices (
  guint64 seed, gboolean shuffle, int n_images, int B, gint64 it, int *indices, int *perm)
{
  gint64 per_epoch = n_images / B;
  gint64 pos = it % per_epoch;

  epoch_permutation (seed, shuffle, n_images, it / per_epoch, perm);
  memcpy (indices, perm + pos * B, (gsize)B * sizeof (int));
}

static gboolean
make_step (DmTrainer *self, GError **error)
{
  const DmVitConfig *c = &self->config;

  g_clear_pointer (&self->step, dm_train_step_free);
  g_clear_pointer (&self->indices, g_free);
  if (self->settings.crop % c->patch_size != 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "training settings: crop %d is not a multiple of the patch size %d",
                   self->settings.crop, c->patch_size);
      return FALSE;
    }
  self->N = dm_vit_n_tokens (c, self->settings.crop);
  self->first_patch = 1 + c->n_registers;
  self->step = dm_train_step_new (self->engine, self->weights, self->settings.batch, self->N,
                                  self->first_patch, error);
  self->indices = g_new0 (int, self->settings.batch);
  return self->step != NULL;
}

DmTrainer *
dm_trainer_new (DmEngine *engine,
                const DmTrainSettings *settings,
                const DmVitWeights *encoder,
                const DmVitTargets *targets,
                GError **error)
{
  g_autoptr (DmTrainer) self = NULL;

  if (!dm_train_settings_validate (settings, error))
    return NULL;
  if (targets->n_targets < 2 || targets->targets[targets->n_targets - 1] >= encoder->n_blocks)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "The encoder has %d blocks loaded, fewer than its target blocks need",
                   encoder->n_blocks);
      return NULL;
    }
  self = g_new0 (DmTrainer, 1);
  self->engine = engine;
  self->encoder = encoder;
  self->config = encoder->config;
  self->targets = *targets;
  dm_train_settings_copy (&self->settings, settings);
  self->settings.opt.total_iters = self->settings.total_iters;
  self->weights = dm_dinomaly_weights_new (encoder->config.dim, error);
  if (self->weights == NULL)
    return NULL;
  dm_dinomaly_weights_init (self->weights, self->settings.seed);
  if (!make_step (self, error))
    return NULL;
  self->next_iter = self->settings.start_iter;
  self->first_iter = self->next_iter;
  self->losses = g_array_new (FALSE, FALSE, sizeof (float));
  self->checkpoint_iter = -1;
  self->perm_epoch = -1;
  return g_steal_pointer (&self);
}

void
dm_trainer_free (DmTrainer *self)
{
  if (self == NULL)
    return;
  dm_train_step_free (self->step);
  dm_dinomaly_weights_free (self->weights);
  dm_feature_cache_free (self->cache);
  dm_train_settings_clear (&self->settings);
  g_free (self->fingerprint);
  if (self->losses != NULL)
    g_array_unref (self->losses);
  g_free (self->started);
  g_free (self->checkpoint_path);
  g_free (self->perm);
  g_free (self->perm_next);
  g_free (self->valid);
  if (self->skipped != NULL)
    g_ptr_array_unref (self->skipped);
  g_free (self->indices);
  g_free (self);
}

gboolean
dm_trainer_set_init (DmTrainer *self, const DmDinomalyWeights *init, GError **error)
{
  if (init->layout.dim != self->weights->layout.dim)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "The initial decoder is %d wide but the backbone is %d wide", init->layout.dim,
                   self->weights->layout.dim);
      return FALSE;
    }
  memcpy (self->weights->arena, init->arena, init->layout.n_floats * sizeof (float));
  return TRUE;
}

gboolean
dm_trainer_resume (DmTrainer *self, const char *path, const char *data_fingerprint, GError **error)
{
  DmCheckpointState s;
  DmTrainSettings keep;
  gboolean ok = FALSE;

  dm_checkpoint_state_init (&s);
  if (!dm_checkpoint_read_state (path, &s, error))
    goto out;
  if (data_fingerprint != NULL && s.data != NULL && s.data[0] != '\0'
      && strcmp (data_fingerprint, s.data) != 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: the checkpoint was written for other training images (%d images then); "
                   "resume with the same images or start a new run",
                   path, s.n_images);
      goto out;
    }
  if (s.dim != self->weights->layout.dim)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: the checkpoint's decoder is %d wide but the backbone is %d wide", path,
                   s.dim, self->weights->layout.dim);
      goto out;
    }
  /* the checkpoint's numbers win; where things go and how long to run do not */
  keep = self->settings;
  self->settings = s.settings;
  memset (&s.settings, 0, sizeof s.settings);
  self->settings.iters = keep.iters;
  self->settings.checkpoint_every = keep.checkpoint_every;
  self->settings.checkpoint_dir = keep.checkpoint_dir;
  self->settings.cache_dir = keep.cache_dir;
  self->settings.cache_max_bytes = keep.cache_max_bytes;
  self->settings.n_threads = keep.n_threads;
  self->settings.opt.total_iters = self->settings.total_iters;
  self->settings.start_iter = MIN (s.next_iter, self->settings.total_iters - 1);
  if (!dm_train_settings_validate (&self->settings, error))
    goto out;
  if (self->cache != NULL && self->settings.crop != keep.crop)
    g_clear_pointer (&self->cache, dm_feature_cache_free);
  if (!make_step (self, error) || !dm_checkpoint_read_arenas (path, self->step, error))
    goto out;
  self->next_iter = s.next_iter;
  self->first_iter = s.first_iter;
  g_array_set_size (self->losses, 0);
  g_array_append_vals (self->losses, s.losses->data, s.losses->len);
  self->train_seconds = s.seconds;
  g_free (self->started);
  self->started = s.started != NULL && s.started[0] != '\0' ? g_strdup (s.started) : NULL;
  g_free (self->checkpoint_path);
  self->checkpoint_path = g_strdup (path);
  self->checkpoint_iter = s.next_iter;
  ok = TRUE;
out:
  dm_checkpoint_state_clear (&s);
  return ok;
}

gboolean
dm_trainer_set_batch (DmTrainer *self, int batch, GError **error)
{
  if (self->step->adam_steps > 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "The batch size cannot change in the middle of a run");
      return FALSE;
    }
  if (batch == self->settings.batch)
    return TRUE;
  self->settings.batch = batch;
  if (!dm_train_settings_validate (&self->settings, error))
    return FALSE;
  return make_step (self, error);
}

void
dm_trainer_set_images (
  DmTrainer *self, int n_images, DmTrainImageFunc load, gpointer user_data, const char *fingerprint)
{
  g_clear_pointer (&self->cache, dm_feature_cache_free);
  self->n_images = n_images;
  self->load = load;
  self->load_data = user_data;
  g_free (self->fingerprint);
  self->fingerprint = g_strdup (fingerprint);
  g_free (self->perm);
  self->perm = g_new0 (int, MAX (n_images, 1));
  g_free (self->perm_next);
  self->perm_next = g_new0 (int, MAX (n_images, 1));
  self->perm_epoch = -1;
  g_free (self->valid);
  self->valid = g_new0 (int, MAX (n_images, 1));
  self->n_valid = 0;
  if (self->skipped != NULL)
    g_ptr_array_unref (self->skipped);
  self->skipped = g_ptr_array_new_with_free_func (g_free);
}

/* A file-backed cache (data larger than memory): starts reading the
 * images of iteration `it` while the current one computes. The next
 * epoch's order is made into perm_next (the current one stays). */
static void
prefetch_batch (DmTrainer *self, gint64 it, gint64 per_epoch)
{
  int B = self->settings.batch;
  gint64 epoch = it / per_epoch;
  const int *perm = self->perm;
  int *next = g_newa (int, B);

  if (epoch != self->perm_epoch)
    {
      epoch_permutation (self->settings.seed, self->settings.shuffle, self->n_valid, epoch,
                         self->perm_next);
      perm = self->perm_next;
    }
  for (int b = 0; b < B; b++)
    next[b] = self->valid[perm[(it % per_epoch) * B + b]];
  dm_feature_cache_prefetch (self->cache, next, B);
}

static gboolean
cancelled (GCancellable *cancellable)
{
  return cancellable != NULL && g_cancellable_is_cancelled (cancellable);
}

gboolean
dm_trainer_build_cache (DmTrainer *self,
                        DmTrainProgressFunc progress,
                        gpointer user_data,
                        GCancellable *cancellable,
                        GError **error)
{
  const DmVitConfig *c = &self->config;
  int crop = self->settings.crop, D = c->dim;
  int chunk = MIN (CACHE_CHUNK, MAX (self->n_images, 1));
  gsize img_floats = (gsize)3 * crop * crop, tok = (gsize)self->N * D;
  g_autoptr (DmFeatureCache) cache = NULL;
  /* the frozen encoder's weights packed for the matmuls while caching */
  g_autoptr (DmPackedWeights) packed = dm_packed_weights_new ();
  float *img = NULL, *E1 = NULL, *E2 = NULL, *ws = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = FALSE;

  if (self->cache != NULL)
    return TRUE;
  if (self->n_images < 1 || self->load == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "There are no training images");
      return FALSE;
    }
  if (self->encoder == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "The encoder-feature cache must be made again but the encoder was released "
                   "(internal error)");
      return FALSE;
    }
  cache = dm_feature_cache_new (self->n_images, self->N, D, self->settings.cache_bf16,
                                self->settings.cache_max_bytes, self->settings.cache_dir, error);
  if (cache == NULL)
    return FALSE;
  img = dm_aligned_alloc (chunk * img_floats * sizeof (float), error);
  E1 = img != NULL ? dm_aligned_alloc (chunk * tok * sizeof (float), error) : NULL;
  E2 = E1 != NULL ? dm_aligned_alloc (chunk * tok * sizeof (float), error) : NULL;
  ws = E2 != NULL
         ? dm_aligned_alloc (dm_vit_workspace_size (c, chunk, crop) * sizeof (float), error)
         : NULL;
  if (ws == NULL)
    goto out;
  self->n_valid = 0;
  g_ptr_array_set_size (self->skipped, 0);
  for (int next = 0; next < self->n_images;)
    {
      int slot_src[CACHE_CHUNK], n = 0, skipped_before = (int)self->skipped->len;

      if (cancelled (cancellable))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_CANCELLED,
                       "Training cancelled while computing the encoder features");
          goto out;
        }
      /* fill a chunk with images that can be read; unreadable ones
       * (missing, corrupt, unsupported, too large) are skipped and noted */
      for (; next < self->n_images && n < chunk; next++)
        {
          g_autoptr (GError) local = NULL;

          if (self->load (next, img + n * img_floats, self->load_data, &local))
            {
              slot_src[n++] = next;
              continue;
            }
          if (!g_error_matches (local, DM_ERROR, DM_ERROR_IO)
              && !g_error_matches (local, DM_ERROR, DM_ERROR_CORRUPT)
              && !g_error_matches (local, DM_ERROR, DM_ERROR_UNSUPPORTED)
              && !g_error_matches (local, DM_ERROR, DM_ERROR_TOO_LARGE))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              goto out;
            }
          g_ptr_array_add (self->skipped, g_strdup (local->message));
        }
      if (n > 0)
        {
          gboolean ok_forward;

          dm_engine_set_packed_weights (self->engine, packed);
          ok_forward = dm_vit_forward (self->engine, self->encoder, &self->targets, img, n, crop,
                                       E1, E2, NULL, ws, error);
          dm_engine_set_packed_weights (self->engine, NULL);
          if (!ok_forward)
            goto out;
        }
      for (int i = 0; i < n; i++)
        {
          dm_feature_cache_store (cache, slot_src[i], E1 + i * tok, E2 + i * tok);
          self->valid[self->n_valid++] = slot_src[i];
        }
      if (progress != NULL)
        {
          DmTrainProgress p = { 0 };
          double elapsed = (g_get_monotonic_time () - t0) / 1e6;

          p.phase = DM_TRAIN_PHASE_CACHING;
          p.images_done = next;
          p.n_skipped = (int)self->skipped->len;
          p.skipped = (const char *const *)self->skipped->pdata + skipped_before;
          p.n_new_skipped = (int)self->skipped->len - skipped_before;
          p.n_images = self->n_images;
          p.elapsed_s = elapsed;
          p.images_per_s = p.images_done / MAX (elapsed, 1e-9);
          p.eta_s = (self->n_images - p.images_done) / MAX (p.images_per_s, 1e-9);
          progress (&p, user_data);
        }
    }
  if (self->n_valid == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "None of the %d training images could be read", self->n_images);
      goto out;
    }
  self->cache = g_steal_pointer (&cache);
  self->cache_seconds = (g_get_monotonic_time () - t0) / 1e6;
  ok = TRUE;
out:
  dm_aligned_free (img);
  dm_aligned_free (E1);
  dm_aligned_free (E2);
  dm_aligned_free (ws);
  return ok;
}

static gboolean
write_checkpoint (DmTrainer *self, GError **error)
{
  g_autofree char *path = NULL;
  DmCheckpointState s;
  gboolean ok;

  if (self->settings.checkpoint_dir == NULL)
    return TRUE;
  if (g_mkdir_with_parents (self->settings.checkpoint_dir, 0755) != 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the checkpoint folder",
                   self->settings.checkpoint_dir);
      return FALSE;
    }
  path = g_build_filename (self->settings.checkpoint_dir, DM_CHECKPOINT_FILE, NULL);
  /* a run killed while writing one leaves its half-written temporary file:
   * hundreds of MB that nothing reads (the checkpoint itself is intact) */
  if (!self->stale_removed)
    dm_atomic_file_remove_stale (path);
  self->stale_removed = TRUE;
  dm_checkpoint_state_init (&s);
  s.dim = self->weights->layout.dim;
  s.next_iter = self->next_iter;
  s.adam_steps = self->step->adam_steps;
  s.first_iter = self->first_iter;
  s.n_images = self->n_images;
  s.data = g_strdup (self->fingerprint);
  s.started = g_strdup (self->started);
  s.seconds = self->train_seconds;
  dm_train_settings_clear (&s.settings);
  s.settings = self->settings; /* borrowed: not cleared below */
  g_array_unref (s.losses);
  s.losses = g_array_ref (self->losses);
  ok = dm_checkpoint_write (path, &s, self->step, error);
  memset (&s.settings, 0, sizeof s.settings);
  dm_checkpoint_state_clear (&s);
  if (ok)
    {
      g_free (self->checkpoint_path);
      self->checkpoint_path = g_steal_pointer (&path);
      self->checkpoint_iter = self->next_iter;
    }
  return ok;
}

/* Why the last good checkpoint is where it is, for error messages. */
static char *
checkpoint_note (DmTrainer *self)
{
  if (self->checkpoint_path == NULL)
    return g_strdup ("no checkpoint was written");
  return g_strdup_printf ("the last good checkpoint (iteration %" G_GINT64_FORMAT ") is kept at %s",
                          self->checkpoint_iter, self->checkpoint_path);
}

gboolean
dm_trainer_run (DmTrainer *self,
                DmTrainProgressFunc progress,
                gpointer user_data,
                GCancellable *cancellable,
                GError **error)
{
  DmTrainSettings *s = &self->settings;
  gint64 end = dm_train_settings_end_iter (s), start = self->next_iter;
  int B = s->batch;
  gint64 per_epoch, t0;
  double seconds0 = self->train_seconds;

  if (!dm_trainer_build_cache (self, progress, user_data, cancellable, error))
    return FALSE;
  if (self->n_valid < B)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "The batch size %d is larger than the %d training images (batches drop the "
                   "rest of an epoch): use a batch of at most %d",
                   B, self->n_valid, self->n_valid);
      return FALSE;
    }
  per_epoch = self->n_valid / B;
  if (self->started == NULL)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      self->started = g_date_time_format_iso8601 (now);
    }
  {
    /* room for every loss of the run: no allocation inside the loop */
    GArray *losses = g_array_sized_new (FALSE, FALSE, sizeof (float),
                                        self->losses->len + (guint)MAX (end - start, 0));
    g_array_append_vals (losses, self->losses->data, self->losses->len);
    g_array_unref (self->losses);
    self->losses = losses;
  }

  t0 = g_get_monotonic_time ();
  for (gint64 it = start; it < end; it++)
    {
      DmTrainStepResult r;
      DmDropout dropout = { s->dropout, dm_train_dropout_seed (s->seed, it) };
      gint64 epoch = it / per_epoch;
      float loss;

      if (cancelled (cancellable))
        {
          g_autoptr (GError) local = NULL;

          if (!write_checkpoint (self, &local))
            g_set_error (error, DM_ERROR, DM_ERROR_CANCELLED,
                         "Training cancelled at iteration %" G_GINT64_FORMAT
                         "; the checkpoint could not be written: %s",
                         it, local->message);
          else if (self->checkpoint_path != NULL && s->checkpoint_dir != NULL)
            g_set_error (error, DM_ERROR, DM_ERROR_CANCELLED,
                         "Training cancelled at iteration %" G_GINT64_FORMAT
                         "; checkpoint written to %s",
                         it, self->checkpoint_path);
          else
            g_set_error (error, DM_ERROR, DM_ERROR_CANCELLED,
                         "Training cancelled at iteration %" G_GINT64_FORMAT, it);
          return FALSE;
        }
      if (epoch != self->perm_epoch)
        {
          epoch_permutation (s->seed, s->shuffle, self->n_valid, epoch, self->perm);
          self->perm_epoch = epoch;
        }
      for (int b = 0; b < B; b++)
        self->indices[b] = self->valid[self->perm[(it % per_epoch) * B + b]];
      {
        gint64 stamp = dm_engine_profile_begin (self->engine);

        dm_feature_cache_gather (self->cache, self->indices, B, self->step->fused, self->step->E1,
                                 self->step->E2);
        dm_engine_profile_end (self->engine, "gather", stamp);
      }
      if (self->cache->file_backed && it + 1 < end)
        prefetch_batch (self, it + 1, per_epoch);
      if (!dm_train_step_gradients (self->step, it, &dropout, &s->loss, &r, error))
        return FALSE;
      if (!isfinite (r.loss.loss) || !dm_train_step_update (self->step, &s->opt, &r))
        {
          g_autofree char *note = checkpoint_note (self);
          g_set_error (error, DM_ERROR, DM_ERROR_NUMERIC,
                       "The %s is not finite (%g) at iteration %" G_GINT64_FORMAT
                       ": training stopped before the update; %s",
                       isfinite (r.loss.loss) ? "gradient norm" : "loss",
                       isfinite (r.loss.loss) ? r.grad_norm : r.loss.loss, it, note);
          return FALSE;
        }
      loss = (float)r.loss.loss;
      g_array_append_val (self->losses, loss);
      self->next_iter = it + 1;
      self->train_seconds = seconds0 + (g_get_monotonic_time () - t0) / 1e6;
      if (progress != NULL)
        {
          DmTrainProgress p = { 0 };
          double elapsed = self->train_seconds - seconds0;
          double per_iter = elapsed / (double)(it + 1 - start);

          p.phase = DM_TRAIN_PHASE_TRAINING;
          p.n_images = self->n_images;
          p.images_done = self->n_images;
          p.n_skipped = (int)self->skipped->len;
          p.iteration = it;
          p.start_iter = start;
          p.end_iter = end;
          p.loss = r.loss.loss;
          p.lr = r.lr;
          p.grad_norm = r.grad_norm;
          p.elapsed_s = elapsed;
          p.images_per_s = B / MAX (per_iter, 1e-9);
          p.eta_s = per_iter * (double)(end - it - 1);
          progress (&p, user_data);
        }
      if (s->checkpoint_every > 0 && (it + 1) % s->checkpoint_every == 0 && it + 1 < end
          && !write_checkpoint (self, error))
        return FALSE;
    }
  return write_checkpoint (self, error);
}

void
dm_trainer_release_encoder (DmTrainer *self)
{
  self->encoder = NULL;
}

const DmDinomalyWeights *
dm_trainer_get_weights (DmTrainer *self)
{
  return self->weights;
}

const DmTrainSettings *
dm_trainer_get_settings (DmTrainer *self)
{
  return &self->settings;
}

const float *
dm_trainer_get_losses (DmTrainer *self, gsize *n, gint64 *first_iter)
{
  if (n != NULL)
    *n = self->losses->len;
  if (first_iter != NULL)
    *first_iter = self->first_iter;
  return (const float *)(void *)self->losses->data;
}

gint64
dm_trainer_get_next_iter (DmTrainer *self)
{
  return self->next_iter;
}

double
dm_trainer_get_train_seconds (DmTrainer *self)
{
  return self->train_seconds;
}

double
dm_trainer_get_cache_seconds (DmTrainer *self)
{
  return self->cache_seconds;
}

const char *
dm_trainer_get_started (DmTrainer *self)
{
  return self->started;
}

const char *
dm_trainer_get_checkpoint_path (DmTrainer *self)
{
  return self->checkpoint_path;
}

int
dm_trainer_get_n_valid (DmTrainer *self)
{
  return self->n_valid;
}

const char *const *
dm_trainer_get_skipped (DmTrainer *self, int *n)
{
  *n = self->skipped != NULL ? (int)self->skipped->len : 0;
  return self->skipped != NULL ? (const char *const *)self->skipped->pdata : NULL;
}

guint64
dm_trainer_get_cache_bytes (DmTrainer *self)
{
  return self->cache != NULL ? self->cache->n_bytes : 0;
}

guint64
dm_trainer_get_step_bytes (DmTrainer *self)
{
  return dm_train_step_get_memory_size (self->step);
}

void
dm_trainer_evict_cache (DmTrainer *self)
{
  if (self->cache != NULL)
    dm_feature_cache_evict (self->cache);
}

gboolean
dm_trainer_cache_is_file (DmTrainer *self)
{
  return self->cache != NULL && self->cache->file_backed;
}

void
dm_trainer_get_training_record (DmTrainer *self, DmTrainingRecord *record, int max_points)
{
  gsize n = self->losses->len;
  const float *l = (const float *)(void *)self->losses->data;
  int every = (int)MAX ((n + (gsize)MAX (max_points, 1) - 1) / (gsize)MAX (max_points, 1), 1);

  memset (record, 0, sizeof *record);
  record->iterations = self->next_iter;
  record->seed = (gint64)self->settings.seed;
  record->seconds = self->train_seconds;
  record->started = g_strdup (self->started);
  record->batch_size = self->settings.batch;
  record->lr = self->settings.opt.lr;
  record->final_loss = n > 0 ? l[n - 1] : 0.0;
  record->loss_every = every;
  record->n_losses = (n + (gsize)every - 1) / (gsize)every;
  record->losses = g_new0 (double, MAX (record->n_losses, 1));
  for (gsize i = 0; i < record->n_losses; i++)
    {
      gsize a = i * (gsize)every, b = MIN (a + (gsize)every, n);
      double sum = 0;

      for (gsize j = a; j < b; j++)
        sum += l[j];
      record->losses[i] = sum / (double)(b - a);
    }
}
