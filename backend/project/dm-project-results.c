/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The scored images of a trained project: scoring, results.json, maps. */
#include "dm-project-results.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-evaluation.h"
#include "dm-file-util.h"
#include "dm-image-header.h"
#include "dm-json-util.h"
#include "dm-json-writer.h"
#include "dm-safetensors-writer.h"
#include "dm-safetensors.h"

#define FORMAT_NAME "org.dinomaly.Studio.results"
#define MAP_PIXELS (DM_EVAL_MAP_SIZE * DM_EVAL_MAP_SIZE)
/* every 7th pixel of the normal maps is plenty for a median and a 99.9th
 * percentile, and keeps the sort small */
#define RANGE_STRIDE 7

static void
result_class_clear (DmResultClass *c)
{
  for (guint i = 0; i < c->n_images; i++)
    {
      g_free (c->images[i].path);
      g_free (c->images[i].defect_type);
      g_free (c->images[i].mask_path);
    }
  g_free (c->images);
  g_free (c->name);
  g_free (c->maps_file);
}

void
dm_project_results_free (DmProjectResults *r)
{
  if (r == NULL)
    return;
  for (guint c = 0; c < r->n_classes; c++)
    {
      result_class_clear (&r->classes[c]);
      if (r->maps != NULL)
        dm_safetensors_free (r->maps[c]);
    }
  g_free (r->maps);
  g_free (r->classes);
  g_free (r->folder);
  g_free (r->model_sha256);
  g_free (r->created);
  g_free (r);
}

int
dm_project_results_find_class (const DmProjectResults *r, const char *name)
{
  for (guint c = 0; c < r->n_classes; c++)
    if (g_strcmp0 (r->classes[c].name, name) == 0)
      return (int)c;
  return -1;
}

/* ---- results.json ---- */

gboolean
dm_project_results_save (const DmProjectResults *r, GError **error)
{
  g_autoptr (DmJsonWriter) b = dm_json_writer_new (TRUE);
  g_autofree char *path = g_build_filename (r->folder, DM_RESULTS_FILE, NULL);

  dm_json_writer_begin_object (b);
  dm_json_writer_key (b, "format");
  dm_json_writer_string (b, FORMAT_NAME);
  dm_json_writer_key (b, "version");
  dm_json_writer_int (b, DM_RESULTS_VERSION);
  dm_json_writer_member_string (b, "model_sha256", r->model_sha256);
  dm_json_writer_member_string (b, "created", r->created);
  dm_json_writer_key (b, "map_size");
  dm_json_writer_int (b, r->map_size);
  dm_json_writer_member_number (b, "quantile", r->quantile);
  dm_json_writer_key (b, "classes");
  dm_json_writer_begin_array (b);
  for (guint c = 0; c < r->n_classes; c++)
    {
      const DmResultClass *k = &r->classes[c];

      dm_json_writer_begin_object (b);
      dm_json_writer_member_string (b, "name", k->name);
      dm_json_writer_key (b, "resize");
      dm_json_writer_int (b, k->resize);
      dm_json_writer_key (b, "crop");
      dm_json_writer_int (b, k->crop);
      dm_json_writer_member_number (b, "map_low", k->map_low);
      dm_json_writer_member_number (b, "map_high", k->map_high);
      dm_json_writer_key (b, "proposed");
      dm_json_writer_begin_object (b);
      dm_json_writer_member_number (b, "image", k->proposed_image);
      dm_json_writer_member_number (b, "pixel", k->proposed_pixel);
      dm_json_writer_member_number (b, "f1_image", k->f1_image);
      dm_json_writer_member_number (b, "f1", k->f1);
      dm_json_writer_end_object (b);
      dm_json_writer_member_string (b, "maps", k->maps_file);
      dm_json_writer_key (b, "images");
      dm_json_writer_begin_array (b);
      for (guint i = 0; i < k->n_images; i++)
        {
          const DmResultImage *im = &k->images[i];

          dm_json_writer_begin_object (b);
          dm_json_writer_member_string (b, "path", im->path);
          dm_json_writer_member_string (b, "split",
                                        im->split == DM_SPLIT_HOLDOUT ? "holdout" : "test");
          dm_json_writer_member_string (b, "label",
                                        im->label == DM_LABEL_DEFECT ? "defect" : "good");
          dm_json_writer_member_string (b, "defect_type", im->defect_type);
          dm_json_writer_member_string (b, "mask", im->mask_path);
          dm_json_writer_member_number (b, "score", im->score);
          dm_json_writer_key (b, "width");
          dm_json_writer_int (b, im->width);
          dm_json_writer_key (b, "height");
          dm_json_writer_int (b, im->height);
          dm_json_writer_end_object (b);
        }
      dm_json_writer_end_array (b);
      dm_json_writer_end_object (b);
    }
  dm_json_writer_end_array (b);
  dm_json_writer_end_object (b);
  return dm_json_writer_write_file (b, path, error);
}

static gboolean
read_class (DmResultClass *k, JsonObject *o, const char *path, GError **error)
{
  JsonObject *proposed = dm_json_object (o, "proposed");
  JsonNode *n = json_object_get_member (o, "images");
  JsonArray *images;

  k->name = dm_json_dup_string (o, "name");
  k->maps_file = dm_json_dup_string (o, "maps");
  k->resize = (int)dm_json_number (o, "resize", 0);
  k->crop = (int)dm_json_number (o, "crop", 0);
  k->map_low = dm_json_number (o, "map_low", 0);
  k->map_high = dm_json_number (o, "map_high", 1);
  k->proposed_image = dm_json_number (proposed, "image", NAN);
  k->proposed_pixel = dm_json_number (proposed, "pixel", NAN);
  k->f1_image = dm_json_number (proposed, "f1_image", NAN);
  k->f1 = dm_json_number (proposed, "f1", NAN);
  if (k->name == NULL || k->maps_file == NULL || strchr (k->maps_file, '/') != NULL || k->crop <= 0
      || k->resize < k->crop)
    return dm_error_corrupt (error, path, "a class lacks its name, maps file or image sizes");
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    return dm_error_corrupt (error, path, "a class has no \"images\" list");
  images = json_node_get_array (n);
  k->images = g_new0 (DmResultImage, json_array_get_length (images));
  for (guint i = 0; i < json_array_get_length (images); i++)
    {
      JsonNode *in = json_array_get_element (images, i);
      JsonObject *io;
      DmResultImage *im = &k->images[k->n_images];
      g_autofree char *split = NULL, *label = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (in))
        return dm_error_corrupt (error, path, "an image entry is not an object");
      io = json_node_get_object (in);
      k->n_images++;
      im->path = dm_json_dup_string (io, "path");
      im->defect_type = dm_json_dup_string (io, "defect_type");
      im->mask_path = dm_json_dup_string (io, "mask");
      split = dm_json_dup_string (io, "split");
      label = dm_json_dup_string (io, "label");
      im->split = g_strcmp0 (split, "holdout") == 0 ? DM_SPLIT_HOLDOUT : DM_SPLIT_TEST;
      im->label = g_strcmp0 (label, "defect") == 0 ? DM_LABEL_DEFECT : DM_LABEL_GOOD;
      im->score = (float)dm_json_number (io, "score", NAN);
      im->width = (int)dm_json_number (io, "width", 0);
      im->height = (int)dm_json_number (io, "height", 0);
      if (im->path == NULL || isnan (im->score))
        return dm_error_corrupt (error, path, "an image entry lacks its path or score");
    }
  return TRUE;
}

DmProjectResults *
dm_project_results_load (const char *folder, GError **error)
{
  g_autofree char *path = g_build_filename (folder, DM_RESULTS_FILE, NULL);
  g_autoptr (DmProjectResults) r = g_new0 (DmProjectResults, 1);
  g_autoptr (JsonParser) parser = NULL;
  JsonObject *root;
  JsonNode *n;
  JsonArray *classes;
  gint64 version;

  parser = dm_json_load_object (path, &root, error);
  if (parser == NULL)
    return NULL;
  if (g_strcmp0 (json_object_get_string_member_with_default (root, "format", ""), FORMAT_NAME) != 0)
    {
      dm_error_corrupt (error, path, "not a Dinomaly Studio results file");
      return NULL;
    }
  version = json_object_get_int_member_with_default (root, "version", 0);
  if (version > DM_RESULTS_VERSION)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s was written by a newer Dinomaly Studio (results version %" G_GINT64_FORMAT
                   "): train or score again, or update Dinomaly Studio",
                   path, version);
      return NULL;
    }
  r->folder = g_strdup (folder);
  r->model_sha256 = dm_json_dup_string (root, "model_sha256");
  r->created = dm_json_dup_string (root, "created");
  r->quantile = dm_json_number (root, "quantile", NAN);
  r->map_size = (int)dm_json_number (root, "map_size", DM_EVAL_MAP_SIZE);
  if (r->map_size != DM_EVAL_MAP_SIZE)
    {
      dm_error_corrupt (error, path, "maps of an unexpected size");
      return NULL;
    }
  n = json_object_get_member (root, "classes");
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    {
      dm_error_corrupt (error, path, "no \"classes\" list");
      return NULL;
    }
  classes = json_node_get_array (n);
  r->classes = g_new0 (DmResultClass, json_array_get_length (classes));
  r->maps = g_new0 (gpointer, json_array_get_length (classes) + 1);
  for (guint c = 0; c < json_array_get_length (classes); c++)
    {
      JsonNode *cn = json_array_get_element (classes, c);

      if (!JSON_NODE_HOLDS_OBJECT (cn))
        {
          dm_error_corrupt (error, path, "a class entry is not an object");
          return NULL;
        }
      r->n_classes++;
      if (!read_class (&r->classes[c], json_node_get_object (cn), path, error))
        return NULL;
    }
  return g_steal_pointer (&r);
}

gboolean
dm_project_results_read_map (DmProjectResults *r, guint c, guint i, float *out, GError **error)
{
  const DmTensorInfo *t;
  DmSafetensors *st;

  g_return_val_if_fail (c < r->n_classes && i < r->classes[c].n_images, FALSE);
  if (r->maps == NULL)
    r->maps = g_new0 (gpointer, r->n_classes + 1);
  if (r->maps[c] == NULL)
    {
      g_autofree char *path = g_build_filename (r->folder, r->classes[c].maps_file, NULL);
      gint64 shape[3] = { r->classes[c].n_images, r->map_size, r->map_size };

      st = dm_safetensors_open (path, error);
      if (st == NULL)
        return FALSE;
      t = dm_safetensors_find (st, "maps");
      if (t == NULL || !dm_tensor_info_has_shape (t, 3, shape))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                       "%s: no tensor \"maps\" of shape (%u, %d, %d): score the project again",
                       path, r->classes[c].n_images, r->map_size, r->map_size);
          dm_safetensors_free (st);
          return FALSE;
        }
      r->maps[c] = st;
    }
  st = r->maps[c];
  t = dm_safetensors_find (st, "maps");
  return dm_safetensors_read_f32_range (st, t, (guint64)i * MAP_PIXELS, MAP_PIXELS, out, error);
}

/* ---- scoring ---- */

typedef struct
{
  DmScoreProgressFunc progress;
  gpointer user_data;
  guint offset, total;
} Progress;

static void
on_eval_progress (guint done, guint total, gpointer user_data)
{
  Progress *p = user_data;

  (void)total;
  if (p->progress != NULL)
    p->progress (p->offset + done, p->total, p->user_data);
}

/* Scores one split of a class; NULL without error when the class has no
 * image in that split. */
static DmEvalClass *
score_split (DmInference *inference,
             const DmDinomalyModel *model,
             const DmDataset *ds,
             guint c,
             DmSplit split,
             int batch,
             Progress *progress,
             const gint *cancel,
             GPtrArray *failures,
             GError **error)
{
  DmEvalClass *e;
  guint first, n;

  dm_dataset_class_range (ds, c, split, &first, &n);
  if (n == 0)
    return NULL;
  e = dm_evaluate_class_split (inference, model, ds, c, split, batch, 0, on_eval_progress, progress,
                               cancel, error);
  progress->offset += n;
  if (e != NULL && failures != NULL)
    for (guint i = 0; i < e->failures->len; i++)
      g_ptr_array_add (failures, g_strdup (e->failures->pdata[i]));
  return e;
}

static void
fill_image (DmResultImage *im, const DmSample *s, DmSplit split, float score)
{
  DmImageHeader header;

  im->path = g_strdup (s->path);
  im->split = split;
  im->label = s->label;
  im->defect_type = g_strdup (s->defect_type);
  im->mask_path = g_strdup (s->mask_path);
  im->score = score;
  im->width = s->width;
  im->height = s->height;
  if ((im->width <= 0 || im->height <= 0) && dm_image_read_header (s->path, &header, NULL))
    {
      im->width = header.width;
      im->height = header.height;
    }
}

/* The colour range and the proposals of a class from its normal images
 * (maps (n_normal, 256, 256) and scores), and the F1 cut on the test images. */
static void
propose (DmResultClass *k,
         const float *normal_maps,
         const float *normal_scores,
         guint n_normal,
         const DmEvalClass *test,
         double q)
{
  gsize n_sample = ((gsize)n_normal * MAP_PIXELS + RANGE_STRIDE - 1) / RANGE_STRIDE;
  g_autofree float *sample = g_new (float, MAX (n_sample, 1));
  g_autofree float *maxes = g_new (float, MAX (n_normal, 1));
  double p999;

  for (gsize i = 0, j = 0; i < (gsize)n_normal * MAP_PIXELS; i += RANGE_STRIDE)
    sample[j++] = normal_maps[i];
  for (guint i = 0; i < n_normal; i++)
    {
      const float *m = normal_maps + (gsize)i * MAP_PIXELS;
      float mx = m[0];

      for (gsize p = 1; p < MAP_PIXELS; p++)
        mx = MAX (mx, m[p]);
      maxes[i] = mx;
    }
  k->map_low = n_normal > 0 ? dm_quantile (sample, n_sample, 0.5) : 0;
  p999 = n_normal > 0 ? dm_quantile (sample, n_sample, 0.999) : 1;
  k->map_high = k->map_low + 2 * MAX (p999 - k->map_low, 1e-6);
  k->proposed_image = dm_quantile (normal_scores, n_normal, q);
  k->proposed_pixel = dm_quantile (maxes, n_normal, q);
  k->f1_image = NAN;
  k->f1 = NAN;
  if (test != NULL)
    k->f1_image = dm_threshold_f1_optimal (test->scores, test->labels, test->n_images, &k->f1);
}

/* The normal images' maps and scores of a class: the hold-out ones, or
 * the test normals when nothing was held out. Borrowed or owned in *own. */
static guint
normal_images (const DmEvalClass *test,
               const DmEvalClass *hold,
               float **maps,
               float **scores,
               float **own_maps,
               float **own_scores)
{
  guint n = 0;

  if (hold != NULL)
    {
      *maps = hold->maps;
      *scores = hold->scores;
      return hold->n_images;
    }
  *own_maps = g_new (float, (gsize)MAX (test->n_images, 1) * MAP_PIXELS);
  *own_scores = g_new (float, MAX (test->n_images, 1));
  for (guint i = 0; i < test->n_images; i++)
    if (!test->labels[i])
      {
        memcpy (*own_maps + (gsize)n * MAP_PIXELS, test->maps + (gsize)i * MAP_PIXELS,
                MAP_PIXELS * sizeof (float));
        (*own_scores)[n++] = test->scores[i];
      }
  *maps = *own_maps;
  *scores = *own_scores;
  return n;
}

static gboolean
write_maps (const char *path, const DmEvalClass *test, const DmEvalClass *hold, GError **error)
{
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  guint n_test = test != NULL ? test->n_images : 0, n_hold = hold != NULL ? hold->n_images : 0;
  gsize n = (gsize)(n_test + n_hold) * MAP_PIXELS;
  g_autofree float *all = g_try_malloc (n * sizeof (float));
  gint64 shape[3] = { n_test + n_hold, DM_EVAL_MAP_SIZE, DM_EVAL_MAP_SIZE };

  if (all == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY, "%s: out of memory for %u maps", path,
                   n_test + n_hold);
      return FALSE;
    }
  if (n_test > 0)
    memcpy (all, test->maps, (gsize)n_test * MAP_PIXELS * sizeof (float));
  if (n_hold > 0)
    memcpy (all + (gsize)n_test * MAP_PIXELS, hold->maps,
            (gsize)n_hold * MAP_PIXELS * sizeof (float));
  return dm_safetensors_writer_add_f32 (w, "maps", DM_DTYPE_F32, all, 3, shape, error)
         && dm_safetensors_writer_write (w, path, error);
}

/* Removes maps files of earlier scorings that the new results do not name,
 * and what killed scorings left half-written. */
static void
remove_stale_maps (const DmProjectResults *r)
{
  g_autoptr (GDir) dir = g_dir_open (r->folder, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      gboolean used = FALSE;

      /* the temporary files of writes that a killed run left */
      if (g_str_has_prefix (name, ".maps-") || g_str_has_prefix (name, "." DM_RESULTS_FILE "."))
        {
          g_autofree char *path = g_build_filename (r->folder, name, NULL);
          g_unlink (path);
          continue;
        }
      if (!g_str_has_prefix (name, "maps-") || !g_str_has_suffix (name, ".safetensors"))
        continue;
      for (guint c = 0; c < r->n_classes && !used; c++)
        used = strcmp (name, r->classes[c].maps_file) == 0;
      if (!used)
        {
          g_autofree char *path = g_build_filename (r->folder, name, NULL);
          g_unlink (path);
        }
    }
}

typedef struct
{
  DmInference *inference;
  const DmDinomalyModel *model;
} OneModel;

static gboolean
one_model (const char *class_name,
           DmInference **inference,
           const DmDinomalyModel **model,
           gpointer user_data,
           GError **error)
{
  OneModel *one = user_data;

  *inference = one->inference;
  *model = one->model;
  return TRUE;
}

DmProjectResults *
dm_project_score (DmInference *inference,
                  const DmDinomalyModel *model,
                  const DmDataset *ds,
                  const char *folder,
                  const char *model_sha256,
                  double quantile,
                  int batch,
                  DmScoreProgressFunc progress,
                  gpointer user_data,
                  const gint *cancel,
                  GPtrArray *failures,
                  GError **error)
{
  OneModel one = { inference, model };

  return dm_project_score_with (one_model, &one, ds, folder, model_sha256, quantile, batch,
                                progress, user_data, cancel, failures, error);
}

DmProjectResults *
dm_project_score_with (DmScoreModelFunc model_for,
                       gpointer model_data,
                       const DmDataset *ds,
                       const char *folder,
                       const char *model_sha256,
                       double quantile,
                       int batch,
                       DmScoreProgressFunc progress,
                       gpointer user_data,
                       const gint *cancel,
                       GPtrArray *failures,
                       GError **error)
{
  g_autoptr (DmProjectResults) r = g_new0 (DmProjectResults, 1);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d%H%M%S");
  Progress p = { progress, user_data, 0, 0 };

  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder: %s", folder,
                   g_strerror (saved));
      return NULL;
    }
  r->folder = g_strdup (folder);
  r->model_sha256 = g_strdup (model_sha256);
  r->created = dm_json_now_iso8601 ();
  r->quantile = quantile;
  r->map_size = DM_EVAL_MAP_SIZE;
  r->classes = g_new0 (DmResultClass, MAX (ds->n_classes, 1));
  r->maps = g_new0 (gpointer, ds->n_classes + 1);
  for (guint c = 0; c < ds->n_classes; c++)
    p.total += ds->classes[c].n_test_good + ds->classes[c].n_test_defect + ds->classes[c].n_holdout;

  for (guint c = 0; c < ds->n_classes; c++)
    {
      g_autoptr (DmEvalClass) test = NULL;
      g_autoptr (DmEvalClass) hold = NULL;
      g_autofree float *own_maps = NULL, *own_scores = NULL;
      g_autofree char *maps_path = NULL;
      float *normal_maps = NULL, *normal_scores = NULL;
      DmInference *inference = NULL;
      const DmDinomalyModel *model = NULL;
      DmResultClass *k;
      guint n_normal, at = 0;

      if (!model_for (ds->classes[c].name, &inference, &model, model_data, error))
        return NULL;
      if (model == NULL)
        {
          p.offset
            += ds->classes[c].n_test_good + ds->classes[c].n_test_defect + ds->classes[c].n_holdout;
          continue;
        }
      test
        = score_split (inference, model, ds, c, DM_SPLIT_TEST, batch, &p, cancel, failures, error);
      if (test == NULL && error != NULL && *error != NULL)
        return NULL;
      hold = score_split (inference, model, ds, c, DM_SPLIT_HOLDOUT, batch, &p, cancel, failures,
                          error);
      if (hold == NULL && error != NULL && *error != NULL)
        return NULL;
      if (test == NULL && hold == NULL)
        continue;
      k = &r->classes[r->n_classes];
      k->name = g_strdup (ds->classes[c].name);
      k->resize = model->resize;
      k->crop = model->crop;
      k->maps_file = g_strdup_printf ("maps-%s-%u.safetensors", stamp, r->n_classes);
      r->n_classes++;
      k->images = g_new0 (DmResultImage, (test != NULL ? test->n_images : 0)
                                           + (hold != NULL ? hold->n_images : 0) + 1);
      if (test != NULL)
        for (guint i = 0; i < test->n_images; i++)
          fill_image (&k->images[at++], &ds->samples[test->sample_index[i]], DM_SPLIT_TEST,
                      test->scores[i]);
      if (hold != NULL)
        for (guint i = 0; i < hold->n_images; i++)
          fill_image (&k->images[at++], &ds->samples[hold->sample_index[i]], DM_SPLIT_HOLDOUT,
                      hold->scores[i]);
      k->n_images = at;
      n_normal = normal_images (test, hold, &normal_maps, &normal_scores, &own_maps, &own_scores);
      propose (k, normal_maps, normal_scores, n_normal, test, quantile);
      maps_path = g_build_filename (folder, k->maps_file, NULL);
      if (!write_maps (maps_path, test, hold, error))
        return NULL;
    }
  if (!dm_project_results_save (r, error))
    return NULL;
  remove_stale_maps (r);
  return g_steal_pointer (&r);
}
