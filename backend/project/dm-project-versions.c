/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A project's model versions: the records in project.json, promotion,
 * roll back, deletion, and what describes a version (dm-project-versions.h). */
#include "dm-project-versions.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-json-util.h"
#include "dm-project-metrics.h"

static void
version_class_free (DmVersionClass *c)
{
  g_free (c->name);
  g_free (c);
}

DmProjectVersion *
dm_project_version_new (guint id)
{
  DmProjectVersion *v = g_new0 (DmProjectVersion, 1);

  v->id = id;
  v->settings = json_object_new ();
  v->classes = g_ptr_array_new_with_free_func ((GDestroyNotify)version_class_free);
  return v;
}

void
dm_project_version_free (DmProjectVersion *v)
{
  if (v == NULL)
    return;
  g_free (v->model);
  g_free (v->created);
  g_free (v->user);
  g_free (v->model_sha256);
  g_free (v->backbone);
  g_free (v->backbone_sha256);
  g_free (v->preset);
  g_free (v->data_fingerprint);
  json_object_unref (v->settings);
  g_ptr_array_unref (v->classes);
  g_free (v);
}

DmVersionClass *
dm_project_version_find_class (const DmProjectVersion *v, const char *name)
{
  for (guint i = 0; i < v->classes->len; i++)
    {
      DmVersionClass *c = v->classes->pdata[i];

      if (g_strcmp0 (c->name, name) == 0)
        return c;
    }
  return NULL;
}

DmVersionClass *
dm_project_version_class (DmProjectVersion *v, const char *name)
{
  DmVersionClass *c = dm_project_version_find_class (v, name);

  if (c != NULL)
    return c;
  c = g_new0 (DmVersionClass, 1);
  c->name = g_strdup (name);
  c->image_threshold = c->pixel_threshold = NAN;
  c->uncertain_low = c->uncertain_high = NAN;
  for (int m = 0; m < DM_METRIC_COUNT; m++)
    c->metrics[m] = NAN;
  g_ptr_array_add (v->classes, c);
  return c;
}

/* ---- project.json ---- */

static void
write_version (DmJsonWriter *w, const DmProjectVersion *v)
{
  dm_json_writer_begin_object (w);
  dm_json_writer_member_int (w, "id", v->id);
  dm_json_writer_member_string (w, "model", v->model);
  dm_json_writer_member_string (w, "created", v->created);
  dm_json_writer_member_string (w, "user", v->user);
  dm_json_writer_member_string (w, "model_sha256", v->model_sha256);
  dm_json_writer_member_string (w, "backbone", v->backbone);
  dm_json_writer_member_string (w, "backbone_sha256", v->backbone_sha256);
  dm_json_writer_member_string (w, "preset", v->preset);
  dm_json_writer_key (w, "settings");
  {
    g_autoptr (JsonNode) settings = json_node_new (JSON_NODE_OBJECT);

    json_node_set_object (settings, v->settings);
    dm_json_writer_node (w, settings);
  }
  dm_json_writer_member_string (w, "data_fingerprint", v->data_fingerprint);
  dm_json_writer_member_int (w, "n_train", v->n_train);
  dm_json_writer_member_int (w, "n_line_parts", v->n_line_parts);
  dm_json_writer_key (w, "classes");
  dm_json_writer_begin_array (w);
  for (guint i = 0; i < v->classes->len; i++)
    {
      const DmVersionClass *c = v->classes->pdata[i];

      dm_json_writer_begin_object (w);
      dm_json_writer_member_string (w, "name", c->name);
      dm_json_writer_key (w, "thresholds");
      dm_json_writer_begin_inline_object (w);
      dm_json_writer_member_number (w, "image", c->image_threshold);
      dm_json_writer_member_number (w, "pixel", c->pixel_threshold);
      dm_json_writer_member_number (w, "uncertain_low", c->uncertain_low);
      dm_json_writer_member_number (w, "uncertain_high", c->uncertain_high);
      dm_json_writer_end_object (w);
      dm_json_writer_key (w, "metrics");
      if (c->has_metrics)
        {
          dm_json_writer_begin_inline_object (w);
          for (int m = 0; m < DM_METRIC_COUNT; m++)
            dm_json_writer_member_number (w, dm_metric_name (m), c->metrics[m]);
          dm_json_writer_end_object (w);
        }
      else
        dm_json_writer_null (w);
      dm_json_writer_member_int (w, "n_test_good", c->n_test_good);
      dm_json_writer_member_int (w, "n_test_defect", c->n_test_defect);
      dm_json_writer_end_object (w);
    }
  dm_json_writer_end_array (w);
  dm_json_writer_end_object (w);
}

void
dm_project_versions_write (DmJsonWriter *w, const DmProject *p)
{
  dm_json_writer_key (w, "versions");
  dm_json_writer_begin_array (w);
  for (guint i = 0; i < p->versions->len; i++)
    write_version (w, p->versions->pdata[i]);
  dm_json_writer_end_array (w);
  dm_json_writer_key (w, "active_version");
  if (p->active_version > 0)
    dm_json_writer_int (w, p->active_version);
  else
    dm_json_writer_null (w);
  dm_json_writer_key (w, "roll_back");
  dm_json_writer_begin_inline_array (w);
  for (guint i = 0; i < p->roll_back->len; i++)
    dm_json_writer_int (w, g_array_index (p->roll_back, guint, i));
  dm_json_writer_end_array (w);
  dm_json_writer_member_int (w, "next_version", p->next_version);
}

static int by_id (gconstpointer a, gconstpointer b);

static void
insert_sorted (DmProject *p, DmProjectVersion *v)
{
  g_ptr_array_add (p->versions, v);
  g_ptr_array_sort (p->versions, by_id);
  p->next_version = MAX (p->next_version, v->id + 1);
}

static guint
read_id (JsonObject *o, const char *member)
{
  double v = dm_json_number (o, member, 0);

  return v >= 1 && v < G_MAXINT && v == floor (v) ? (guint)v : 0;
}

static guint
read_count (JsonObject *o, const char *member)
{
  double v = dm_json_number (o, member, 0);

  return v >= 0 && v < G_MAXINT ? (guint)v : 0;
}

static void
read_class (DmProjectVersion *v, JsonObject *co)
{
  g_autofree char *name = dm_json_dup_string (co, "name");
  JsonObject *t = dm_json_object (co, "thresholds");
  JsonObject *m = dm_json_object (co, "metrics");
  DmVersionClass *c;

  if (name == NULL || dm_project_version_find_class (v, name) != NULL)
    return;
  c = dm_project_version_class (v, name);
  c->image_threshold = dm_json_number (t, "image", NAN);
  c->pixel_threshold = dm_json_number (t, "pixel", NAN);
  c->uncertain_low = dm_json_number (t, "uncertain_low", NAN);
  c->uncertain_high = dm_json_number (t, "uncertain_high", NAN);
  c->has_metrics = m != NULL;
  for (int k = 0; k < DM_METRIC_COUNT; k++)
    c->metrics[k] = dm_json_number (m, dm_metric_name (k), NAN);
  c->n_test_good = read_count (co, "n_test_good");
  c->n_test_defect = read_count (co, "n_test_defect");
}

static DmProjectVersion *
read_version (JsonObject *o, const char *path, GError **error)
{
  g_autoptr (DmProjectVersion) v = dm_project_version_new (read_id (o, "id"));
  JsonObject *settings = dm_json_object (o, "settings");
  JsonNode *classes = json_object_get_member (o, "classes");

  v->model = dm_json_dup_string (o, "model");
  if (v->id == 0 || v->model == NULL || v->model[0] == '\0' || g_path_is_absolute (v->model)
      || strstr (v->model, "..") != NULL)
    {
      dm_error_corrupt (error, path, "a model version has no id or no model file in the project");
      return NULL;
    }
  v->created = dm_json_dup_string (o, "created");
  v->user = dm_json_dup_string (o, "user");
  v->model_sha256 = dm_json_dup_string (o, "model_sha256");
  v->backbone = dm_json_dup_string (o, "backbone");
  v->backbone_sha256 = dm_json_dup_string (o, "backbone_sha256");
  v->preset = dm_json_dup_string (o, "preset");
  if (settings != NULL)
    {
      json_object_unref (v->settings);
      v->settings = json_object_ref (settings);
    }
  v->data_fingerprint = dm_json_dup_string (o, "data_fingerprint");
  v->n_train = read_count (o, "n_train");
  v->n_line_parts = read_count (o, "n_line_parts");
  if (classes != NULL && JSON_NODE_HOLDS_ARRAY (classes))
    {
      JsonArray *a = json_node_get_array (classes);

      for (guint i = 0; i < json_array_get_length (a); i++)
        if (JSON_NODE_HOLDS_OBJECT (json_array_get_element (a, i)))
          read_class (v, json_array_get_object_element (a, i));
    }
  return g_steal_pointer (&v);
}

gboolean
dm_project_versions_read (DmProject *p, JsonObject *root, const char *path, GError **error)
{
  JsonNode *n = json_object_get_member (root, "versions");
  JsonNode *back = json_object_get_member (root, "roll_back");
  guint active = read_id (root, "active_version");

  if (n != NULL && JSON_NODE_HOLDS_ARRAY (n))
    {
      JsonArray *a = json_node_get_array (n);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          DmProjectVersion *v;

          if (!JSON_NODE_HOLDS_OBJECT (e))
            return dm_error_corrupt (error, path, "an entry of \"versions\" is not an object");
          v = read_version (json_node_get_object (e), path, error);
          if (v == NULL)
            return FALSE;
          if (dm_project_find_version (p, v->id) != NULL)
            {
              dm_project_version_free (v);
              return dm_error_corrupt (error, path, "two model versions have the same id");
            }
          insert_sorted (p, v);
        }
    }
  if (back != NULL && JSON_NODE_HOLDS_ARRAY (back))
    {
      JsonArray *a = json_node_get_array (back);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          double id = JSON_NODE_HOLDS_VALUE (e) ? json_node_get_double (e) : 0;

          if (id >= 1 && id < G_MAXINT && dm_project_find_version (p, (guint)id) != NULL)
            {
              guint value = (guint)id;
              g_array_append_val (p->roll_back, value);
            }
        }
    }
  p->next_version = MAX (p->next_version, read_id (root, "next_version"));
  p->active_version = dm_project_find_version (p, active) != NULL ? active : 0;
  if (p->active_version > 0)
    {
      g_free (p->model);
      p->model = g_strdup (dm_project_find_version (p, active)->model);
    }
  return TRUE;
}

void
dm_project_versions_upgrade (DmProject *p)
{
  g_autoptr (DmProjectVersion) v = NULL;
  g_autofree char *model = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileInfo) info = NULL;

  if (p->model == NULL || p->versions->len > 0)
    return;
  v = dm_project_version_new (1);
  v->model = g_strdup (p->model);
  model = g_build_filename (p->folder, p->model, NULL);
  file = g_file_new_for_path (model);
  info
    = g_file_query_info (file, G_FILE_ATTRIBUTE_TIME_MODIFIED, G_FILE_QUERY_INFO_NONE, NULL, NULL);
  if (info != NULL)
    {
      g_autoptr (GDateTime) t = g_file_info_get_modification_date_time (info);
      g_autoptr (GDateTime) utc = t != NULL ? g_date_time_to_utc (t) : NULL;

      v->created = utc != NULL ? g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ") : NULL;
    }
  if (v->created == NULL)
    v->created = g_strdup (p->modified);
  v->backbone
    = g_strdup (g_strcmp0 (p->backbone_kind, "random") == 0 ? "random" : p->backbone_path);
  v->backbone_sha256 = g_strdup (p->backbone_sha256);
  v->preset = g_strdup (p->preset);
  json_object_unref (v->settings);
  v->settings = json_object_ref (p->settings);
  for (guint i = 0; i < p->classes->len; i++)
    {
      const DmProjectClass *pc = p->classes->pdata[i];
      DmVersionClass *c = dm_project_version_class (v, pc->name);

      c->image_threshold = pc->image_threshold;
      c->pixel_threshold = pc->pixel_threshold;
      c->uncertain_low = pc->uncertain_low;
      c->uncertain_high = pc->uncertain_high;
    }
  dm_project_add_version (p, g_steal_pointer (&v));
}

/* ---- the versions ---- */

DmProjectVersion *
dm_project_find_version (const DmProject *p, guint id)
{
  for (guint i = 0; id > 0 && i < p->versions->len; i++)
    {
      DmProjectVersion *v = p->versions->pdata[i];

      if (v->id == id)
        return v;
    }
  return NULL;
}

DmProjectVersion *
dm_project_get_active_version (const DmProject *p)
{
  return dm_project_find_version (p, p->active_version);
}

char *
dm_project_version_dir (guint id)
{
  g_autofree char *name = g_strdup_printf ("v%u", id);

  return g_build_filename (DM_PROJECT_MODELS_FOLDER, name, NULL);
}

char *
dm_project_version_model_rel (guint id, gboolean per_class)
{
  g_autofree char *dir = dm_project_version_dir (id);

  return g_build_filename (dir, per_class ? "classes" : "model.dinomaly", NULL);
}

char *
dm_project_version_model_path (const DmProject *p, const DmProjectVersion *v)
{
  return g_build_filename (p->folder, v->model, NULL);
}

char *
dm_project_version_results_folder (const DmProject *p, const DmProjectVersion *v)
{
  g_autofree char *model = dm_project_version_model_path (p, v);
  g_autofree char *dir = g_path_get_dirname (model);

  return g_build_filename (dir, "results", NULL);
}

char *
dm_project_results_folder (const DmProject *p)
{
  DmProjectVersion *v = dm_project_get_active_version (p);

  return v != NULL ? dm_project_version_results_folder (p, v) : dm_project_subfolder (p, "results");
}

static int
by_id (gconstpointer a, gconstpointer b)
{
  const DmProjectVersion *va = *(DmProjectVersion *const *)a;
  const DmProjectVersion *vb = *(DmProjectVersion *const *)b;

  return va->id < vb->id ? -1 : va->id > vb->id;
}

void
dm_project_add_version (DmProject *p, DmProjectVersion *v)
{
  insert_sorted (p, v);
  if (p->active_version == 0)
    dm_project_promote (p, v->id, NULL);
}

static void
copy_thresholds_to_version (DmProjectVersion *v, const DmProject *p)
{
  for (guint i = 0; i < p->classes->len; i++)
    {
      const DmProjectClass *pc = p->classes->pdata[i];
      DmVersionClass *c = dm_project_version_class (v, pc->name);

      c->image_threshold = pc->image_threshold;
      c->pixel_threshold = pc->pixel_threshold;
      c->uncertain_low = pc->uncertain_low;
      c->uncertain_high = pc->uncertain_high;
    }
}

static void
activate (DmProject *p, DmProjectVersion *v)
{
  DmProjectVersion *old = dm_project_get_active_version (p);

  if (old != NULL)
    copy_thresholds_to_version (old, p);
  for (guint i = 0; i < p->classes->len; i++)
    {
      DmProjectClass *pc = p->classes->pdata[i];
      const DmVersionClass *c = dm_project_version_find_class (v, pc->name);

      /* a class the version never saw has no thresholds for its scores */
      pc->image_threshold = c != NULL ? c->image_threshold : NAN;
      pc->pixel_threshold = c != NULL ? c->pixel_threshold : NAN;
      pc->uncertain_low = c != NULL ? c->uncertain_low : NAN;
      pc->uncertain_high = c != NULL ? c->uncertain_high : NAN;
    }
  p->active_version = v->id;
  g_free (p->model);
  p->model = g_strdup (v->model);
}

gboolean
dm_project_promote (DmProject *p, guint id, GError **error)
{
  DmProjectVersion *v = dm_project_find_version (p, id);

  if (v == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no model version %u", p->folder, id);
      return FALSE;
    }
  if (p->active_version == id)
    return TRUE;
  if (p->active_version > 0)
    g_array_append_val (p->roll_back, p->active_version);
  activate (p, v);
  return TRUE;
}

guint
dm_project_roll_back_target (const DmProject *p)
{
  for (guint i = p->roll_back->len; i > 0; i--)
    {
      guint id = g_array_index (p->roll_back, guint, i - 1);

      if (id != p->active_version && dm_project_find_version (p, id) != NULL)
        return id;
    }
  return 0;
}

gboolean
dm_project_roll_back (DmProject *p, GError **error)
{
  guint target = dm_project_roll_back_target (p);

  if (target == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: no model version was active before this one", p->folder);
      return FALSE;
    }
  /* forget everything after the target: rolling back twice goes further */
  while (p->roll_back->len > 0
         && g_array_index (p->roll_back, guint, p->roll_back->len - 1) != target)
    g_array_set_size (p->roll_back, p->roll_back->len - 1);
  g_array_set_size (p->roll_back, p->roll_back->len - 1);
  activate (p, dm_project_find_version (p, target));
  return TRUE;
}

DmProjectVersion *
dm_project_remove_version (DmProject *p, guint id, guint *index, GError **error)
{
  if (id == p->active_version)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "Version %u is the active model: promote another version first", id);
      return NULL;
    }
  for (guint i = 0; i < p->versions->len; i++)
    if (((DmProjectVersion *)p->versions->pdata[i])->id == id)
      {
        if (index != NULL)
          *index = i;
        return g_ptr_array_steal_index (p->versions, i);
      }
  g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no model version %u", p->folder, id);
  return NULL;
}

void
dm_project_insert_version (DmProject *p, DmProjectVersion *v, guint index)
{
  g_ptr_array_insert (p->versions, (int)MIN (index, p->versions->len), v);
  g_ptr_array_sort (p->versions, by_id);
}

gboolean
dm_project_version_delete_files (const DmProject *p, const DmProjectVersion *v, GError **error)
{
  g_autofree char *model = dm_project_version_model_path (p, v);
  g_autofree char *results = dm_project_version_results_folder (p, v);
  g_autofree char *dir = g_path_get_dirname (v->model);

  if (!dm_file_remove_tree (model, error) || !dm_file_remove_tree (results, error))
    return FALSE;
  /* the version's own folder, never the project's (a version 1 project's
   * model lies at its top) */
  if (g_str_has_prefix (dir, DM_PROJECT_MODELS_FOLDER G_DIR_SEPARATOR_S))
    {
      g_autofree char *abs = g_build_filename (p->folder, dir, NULL);

      return dm_file_remove_tree (abs, error);
    }
  return TRUE;
}

/* ---- describing a version ---- */

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

char *
dm_project_data_fingerprint (const char *const *paths, guint n)
{
  g_autoptr (GPtrArray) digests = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < n; i++)
    {
      char *digest = dm_file_sha256 (paths[i], NULL);

      if (digest != NULL)
        g_ptr_array_add (digests, digest);
    }
  g_ptr_array_sort (digests, compare_strings);
  for (guint i = 0; i < digests->len; i++)
    {
      g_checksum_update (sum, digests->pdata[i], 64);
      g_checksum_update (sum, (const guchar *)"\n", 1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

void
dm_project_class_rates (const DmResultClass *k,
                        const DmProject *p,
                        const DmThresholds *t,
                        double *false_reject,
                        double *escape)
{
  guint good = 0, rejected = 0, defect = 0, escaped = 0;

  for (guint i = 0; i < k->n_images; i++)
    {
      const DmResultImage *image = &k->images[i];
      DmUserLabel user
        = p != NULL ? dm_project_get_label ((DmProject *)p, image->path) : DM_USER_LABEL_NONE;
      gboolean is_defect = user != DM_USER_LABEL_NONE ? user == DM_USER_LABEL_DEFECT
                                                      : image->label == DM_LABEL_DEFECT;
      DmDecision d;

      if (image->split != DM_SPLIT_TEST)
        continue;
      d = dm_decide (t, image->score);
      if (is_defect)
        {
          defect++;
          escaped += d == DM_DECISION_PASS;
        }
      else
        {
          good++;
          rejected += d == DM_DECISION_FAIL;
        }
    }
  *false_reject = good > 0 ? (double)rejected / good : NAN;
  *escape = defect > 0 ? (double)escaped / defect : NAN;
}

void
dm_project_version_thresholds (const DmProject *p,
                               const DmProjectVersion *v,
                               const char *class_name,
                               DmThresholds *t)
{
  dm_thresholds_init (t);
  if (v->id == p->active_version)
    {
      DmProjectClass *pc = dm_project_find_class ((DmProject *)p, class_name);

      if (pc != NULL)
        {
          t->image = pc->image_threshold;
          t->pixel = pc->pixel_threshold;
          t->uncertain_low = pc->uncertain_low;
          t->uncertain_high = pc->uncertain_high;
        }
    }
  else
    {
      const DmVersionClass *c = dm_project_version_find_class (v, class_name);

      if (c != NULL)
        {
          t->image = c->image_threshold;
          t->pixel = c->pixel_threshold;
          t->uncertain_low = c->uncertain_low;
          t->uncertain_high = c->uncertain_high;
        }
    }
}

DmProjectVersion *
dm_project_version_begin (const DmProject *p,
                          guint id,
                          const char *model_rel,
                          const char *model_sha256,
                          const char *backbone_name,
                          const char *backbone_sha256,
                          const char *const *train_paths,
                          guint n_train)
{
  DmProjectVersion *v = dm_project_version_new (id);
  g_autofree char *feedback = g_build_filename (p->folder, "feedback", "", NULL);

  v->model = g_strdup (model_rel);
  v->created = dm_json_now_iso8601 ();
  v->user = g_strdup (g_get_user_name ());
  v->model_sha256 = g_strdup (model_sha256);
  v->backbone = g_strdup (backbone_name);
  v->backbone_sha256 = g_strdup (backbone_sha256);
  v->preset = g_strdup (p->preset);
  json_object_unref (v->settings);
  v->settings = json_object_ref (p->settings);
  v->data_fingerprint = dm_project_data_fingerprint (train_paths, n_train);
  v->n_train = n_train;
  for (guint i = 0; i < n_train; i++)
    v->n_line_parts += g_str_has_prefix (train_paths[i], feedback);
  return v;
}

gboolean
dm_project_version_finish (DmProjectVersion *v,
                           const DmProject *p,
                           DmProjectResults *results,
                           GError **error)
{
  for (guint k = 0; k < results->n_classes; k++)
    {
      const DmResultClass *rc = &results->classes[k];
      DmVersionClass *c = dm_project_version_class (v, rc->name);
      g_autoptr (DmProjectClassEval) eval = dm_project_class_eval (results, k, p, error);

      if (eval == NULL)
        return FALSE;
      c->image_threshold = rc->proposed_image;
      c->pixel_threshold = rc->proposed_pixel;
      c->has_metrics = eval->n > 0;
      for (int m = 0; m < DM_METRIC_COUNT; m++)
        c->metrics[m] = dm_metrics_get (&eval->metrics, m);
      for (guint i = 0; i < eval->n; i++)
        {
          c->n_test_defect += eval->labels[i] != 0;
          c->n_test_good += eval->labels[i] == 0;
        }
    }
  return TRUE;
}
