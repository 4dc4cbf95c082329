/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmDataset: classes, samples and problems; the checks every sample goes
 * through, the hold-out rule and the order of samples. */
#include "dm-dataset-private.h"

#include <stdarg.h>
#include <string.h>

#include "dm-error.h"
#include "dm-image-header.h"
#include "dm-mask.h"

static void
sample_clear (DmSample *s)
{
  g_free (s->path);
  g_free (s->defect_type);
  g_free (s->mask_path);
}

static void
class_clear (DmDatasetClass *c)
{
  g_free (c->name);
  g_free (c->dir);
  g_free (c->source);
}

static void
problem_clear (DmDatasetProblem *p)
{
  g_free (p->path);
  g_free (p->message);
}

static void
sync_pointers (DmDataset *ds)
{
  ds->classes = (DmDatasetClass *)(void *)ds->class_array->data;
  ds->n_classes = ds->class_array->len;
  ds->samples = (DmSample *)(void *)ds->sample_array->data;
  ds->n_samples = ds->sample_array->len;
  ds->problems = (DmDatasetProblem *)(void *)ds->problem_array->data;
  ds->n_problems = ds->problem_array->len;
}

DmDataset *
dm_dataset_new (void)
{
  DmDataset *ds = g_new0 (DmDataset, 1);

  ds->class_array = g_array_new (FALSE, TRUE, sizeof (DmDatasetClass));
  ds->sample_array = g_array_new (FALSE, TRUE, sizeof (DmSample));
  ds->problem_array = g_array_new (FALSE, TRUE, sizeof (DmDatasetProblem));
  g_array_set_clear_func (ds->class_array, (GDestroyNotify)class_clear);
  g_array_set_clear_func (ds->sample_array, (GDestroyNotify)sample_clear);
  g_array_set_clear_func (ds->problem_array, (GDestroyNotify)problem_clear);
  ds->paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sync_pointers (ds);
  return ds;
}

void
dm_dataset_free (DmDataset *ds)
{
  if (ds == NULL)
    return;
  g_array_unref (ds->class_array);
  g_array_unref (ds->sample_array);
  g_array_unref (ds->problem_array);
  g_hash_table_unref (ds->paths);
  g_free (ds);
}

void
dm_dataset_add_problem (
  DmDataset *ds, DmDatasetProblemKind kind, const char *path, const char *format, ...)
{
  DmDatasetProblem p = { kind, g_strdup (path), NULL };
  va_list args;

  va_start (args, format);
  p.message = g_strdup_vprintf (format, args);
  va_end (args);
  g_array_append_val (ds->problem_array, p);
  sync_pointers (ds);
}

const char *
dm_dataset_problem_kind_name (DmDatasetProblemKind kind)
{
  switch (kind)
    {
    case DM_DATASET_PROBLEM_MISSING_MASK: return "missing-mask";
    case DM_DATASET_PROBLEM_MASK_SIZE: return "mask-size";
    case DM_DATASET_PROBLEM_MASK_WITHOUT_IMAGE: return "mask-without-image";
    case DM_DATASET_PROBLEM_DUPLICATE: return "duplicate";
    case DM_DATASET_PROBLEM_UNREADABLE: return "unreadable";
    case DM_DATASET_PROBLEM_NOT_AN_IMAGE: return "not-an-image";
    case DM_DATASET_PROBLEM_EMPTY_CLASS: return "empty-class";
    case DM_DATASET_PROBLEM_BAD_ENTRY: return "bad-entry";
    case DM_DATASET_PROBLEM_MISSING_FILE: return "missing-file";
    case DM_DATASET_PROBLEM_UNLABELED: return "unlabeled";
    default: return "unknown";
    }
}

guint
dm_dataset_count_problems (const DmDataset *ds, DmDatasetProblemKind kind)
{
  guint n = 0;

  for (guint i = 0; i < ds->n_problems; i++)
    n += ds->problems[i].kind == kind;
  return n;
}

int
dm_dataset_find_class (const DmDataset *ds, const char *name)
{
  for (guint i = 0; i < ds->n_classes; i++)
    if (strcmp (ds->classes[i].name, name) == 0)
      return (int)i;
  return -1;
}

gboolean
dm_dataset_add_image (DmDataset *ds,
                      const char *class_name,
                      const char *path,
                      DmSplit split,
                      DmLabel label,
                      const char *defect_type,
                      const char *mask_path,
                      DmDatasetChecks checks,
                      GError **error)
{
  int c = dm_dataset_find_class (ds, class_name);
  gboolean added;

  if (c < 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "no class “%s” in the dataset", class_name);
      return FALSE;
    }
  added = dm_dataset_commit_sample (ds, (guint)c, split, label, defect_type, path,
                                    label == DM_LABEL_DEFECT ? mask_path : NULL, checks);
  dm_dataset_finish (ds);
  return added;
}

guint
dm_dataset_get_class (DmDataset *ds, const char *name, const char *dir)
{
  int found = dm_dataset_find_class (ds, name);
  DmDatasetClass c = { 0 };

  if (found >= 0)
    return (guint)found;
  c.name = g_strdup (name);
  c.dir = g_strdup (dir);
  g_array_append_val (ds->class_array, c);
  sync_pointers (ds);
  return ds->n_classes - 1;
}

void
dm_dataset_set_class_source (DmDataset *ds,
                             guint class_index,
                             DmDatasetLayout layout,
                             const char *source)
{
  DmDatasetClass *c = &ds->classes[class_index];

  /* a class fed from two sources keeps the first */
  if (c->source != NULL)
    return;
  c->layout = layout;
  c->source = g_strdup (source);
}

static const struct
{
  const char *name, *title;
} layouts[] = {
  [DM_DATASET_LAYOUT_FOLDERS] = { "folders", "plain folders" },
  [DM_DATASET_LAYOUT_MVTEC_AD] = { "mvtec", "MVTec AD" },
  [DM_DATASET_LAYOUT_BTAD] = { "btad", "BTAD" },
  [DM_DATASET_LAYOUT_MVTEC_AD2] = { "mvtec-ad2", "MVTec AD 2" },
  [DM_DATASET_LAYOUT_MVTEC_LOCO] = { "mvtec-loco", "MVTec LOCO AD" },
  [DM_DATASET_LAYOUT_VISA] = { "visa", "VisA" },
  [DM_DATASET_LAYOUT_REALIAD] = { "realiad", "Real-IAD" },
};

const char *
dm_dataset_layout_name (DmDatasetLayout layout)
{
  return (guint)layout < G_N_ELEMENTS (layouts) ? layouts[layout].name : "unknown";
}

const char *
dm_dataset_layout_title (DmDatasetLayout layout)
{
  return (guint)layout < G_N_ELEMENTS (layouts) ? layouts[layout].title : "unknown";
}

gboolean
dm_dataset_layout_from_name (const char *name, DmDatasetLayout *layout)
{
  for (guint i = 0; i < G_N_ELEMENTS (layouts); i++)
    if (g_strcmp0 (name, layouts[i].name) == 0)
      {
        *layout = (DmDatasetLayout)i;
        return TRUE;
      }
  return FALSE;
}

void
dm_dataset_class_range (
  const DmDataset *ds, guint class_index, DmSplit split, guint *first, guint *n)
{
  guint i = 0, start;

  while (i < ds->n_samples
         && (ds->samples[i].class_index < class_index
             || (ds->samples[i].class_index == class_index && ds->samples[i].split < split)))
    i++;
  start = i;
  while (i < ds->n_samples && ds->samples[i].class_index == class_index
         && ds->samples[i].split == split)
    i++;
  *first = start;
  *n = i - start;
}

/* ---- checks ---------------------------------------------------------------- */

/* The message of a header error without the "path: " it starts with (the
 * problem's path says it already). */
static const char *
strip_path (const GError *error, const char *display)
{
  gsize n = strlen (display);

  if (strncmp (error->message, display, n) == 0 && strncmp (error->message + n, ": ", 2) == 0)
    return error->message + n + 2;
  return error->message;
}

static DmDatasetProblemKind
kind_of (const GError *error)
{
  return g_error_matches (error, DM_ERROR, DM_ERROR_UNSUPPORTED) ? DM_DATASET_PROBLEM_NOT_AN_IMAGE
                                                                 : DM_DATASET_PROBLEM_UNREADABLE;
}

gboolean
dm_dataset_commit_sample (DmDataset *ds,
                          guint class_index,
                          DmSplit split,
                          DmLabel label,
                          const char *defect_type,
                          const char *path,
                          const char *mask_path,
                          DmDatasetChecks checks)
{
  g_autofree char *key = g_canonicalize_filename (path, NULL);
  g_autofree char *display = g_filename_display_name (path);
  DmSample s = { 0 };
  DmImageHeader image = { 0 }, mask = { 0 };
  gboolean want_image = (checks & DM_DATASET_CHECK_HEADERS) != 0
                        || ((checks & DM_DATASET_CHECK_MASK_SIZES) && mask_path != NULL);

  if (g_hash_table_contains (ds->paths, key))
    {
      dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_DUPLICATE, path,
                              "the same file is already in the dataset: skipped");
      return FALSE;
    }
  if (want_image)
    {
      g_autoptr (GError) error = NULL;

      if (!dm_image_read_header (path, &image, &error))
        {
          dm_dataset_add_problem (ds, kind_of (error), path, "%s: skipped",
                                  strip_path (error, display));
          return FALSE;
        }
    }
  if (mask_path != NULL && (checks & DM_DATASET_CHECK_ALL) != 0)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *mask_display = g_filename_display_name (mask_path);

      if (!dm_mask_read_header (mask_path, &mask, &error))
        {
          dm_dataset_add_problem (ds, kind_of (error), mask_path,
                                  "%s: the image is kept without a mask",
                                  strip_path (error, mask_display));
          mask_path = NULL;
        }
      else if ((checks & DM_DATASET_CHECK_MASK_SIZES)
               && (mask.width != image.width || mask.height != image.height))
        {
          dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MASK_SIZE, mask_path,
                                  "the mask is %d x %d but its image %s is %d x %d: the image "
                                  "is kept without a mask",
                                  mask.width, mask.height, display, image.width, image.height);
          mask_path = NULL;
        }
    }
  s.path = g_strdup (path);
  s.class_index = class_index;
  s.split = split;
  s.validation = split == DM_SPLIT_HOLDOUT;
  s.label = label;
  s.defect_type = g_strdup (label == DM_LABEL_GOOD ? "good" : defect_type);
  s.mask_path = label == DM_LABEL_GOOD ? NULL : g_strdup (mask_path);
  s.width = image.width;
  s.height = image.height;
  g_array_append_val (ds->sample_array, s);
  g_hash_table_add (ds->paths, g_steal_pointer (&key));
  sync_pointers (ds);
  return TRUE;
}

void
dm_dataset_check_class (DmDataset *ds, guint class_index, const char *where)
{
  guint n = 0, n_normal = 0;
  const char *dir = ds->classes[class_index].dir;

  for (guint i = 0; i < ds->n_samples; i++)
    if (ds->samples[i].class_index == class_index)
      {
        n++;
        n_normal += ds->samples[i].split != DM_SPLIT_TEST;
      }
  if (n == 0)
    dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_EMPTY_CLASS, dir,
                            "class '%s' has no images: left out", ds->classes[class_index].name);
  else if (n_normal == 0)
    dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_EMPTY_CLASS, dir,
                            "class '%s' has no normal training images (in %s): it can be "
                            "evaluated, not trained",
                            ds->classes[class_index].name, where);
}

/* ---- hold-out, order, counts ------------------------------------------------ */

static guint64
holdout_key (guint64 seed, const char *name)
{
  guint64 h = 0xcbf29ce484222325ull; /* FNV-1a 64 */

  for (int i = 0; i < 8; i++)
    h = (h ^ ((seed >> (8 * i)) & 0xff)) * 0x100000001b3ull;
  for (const guchar *p = (const guchar *)name; *p != '\0'; p++)
    h = (h ^ *p) * 0x100000001b3ull;
  /* SplitMix64's finaliser: FNV's low bits mix poorly for similar names */
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

typedef struct
{
  guint64 key;
  const char *name;
  const char *path;
  guint index;
} HoldoutEntry;

static int
compare_holdout (gconstpointer pa, gconstpointer pb)
{
  const HoldoutEntry *a = pa, *b = pb;
  int c;

  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  if ((c = strcmp (a->name, b->name)) != 0)
    return c;
  return strcmp (a->path, b->path);
}

static void
apply_holdout (DmDataset *ds)
{
  for (guint c = 0; c < ds->n_classes; c++)
    {
      g_autoptr (GArray) entries = g_array_new (FALSE, FALSE, sizeof (HoldoutEntry));
      gboolean own_validation = FALSE;
      guint n, k;

      for (guint i = 0; i < ds->n_samples; i++)
        own_validation |= ds->samples[i].class_index == c && ds->samples[i].validation;
      if (own_validation)
        {
          /* the dataset's own split is the hold-out, and nothing else */
          for (guint i = 0; i < ds->n_samples; i++)
            if (ds->samples[i].class_index == c && ds->samples[i].split != DM_SPLIT_TEST)
              ds->samples[i].split = ds->samples[i].validation ? DM_SPLIT_HOLDOUT : DM_SPLIT_TRAIN;
          continue;
        }
      for (guint i = 0; i < ds->n_samples; i++)
        {
          DmSample *s = &ds->samples[i];
          HoldoutEntry e;

          if (s->class_index != c || s->split == DM_SPLIT_TEST)
            continue;
          e.path = s->path;
          e.name
            = strrchr (s->path, G_DIR_SEPARATOR) ? strrchr (s->path, G_DIR_SEPARATOR) + 1 : s->path;
          e.key = holdout_key (ds->holdout_seed, e.name);
          e.index = i;
          g_array_append_val (entries, e);
        }
      n = entries->len;
      k = (guint)(ds->holdout_fraction * n + 0.5);
      if (n >= 1 && k > n - 1)
        k = n - 1;
      if (ds->holdout_fraction > 0 && n >= 2 && k < 1)
        k = 1;
      g_array_sort (entries, compare_holdout);
      for (guint j = 0; j < n; j++)
        ds->samples[g_array_index (entries, HoldoutEntry, j).index].split
          = j < k ? DM_SPLIT_HOLDOUT : DM_SPLIT_TRAIN;
    }
}

static int
compare_samples (gconstpointer pa, gconstpointer pb)
{
  const DmSample *a = pa, *b = pb;
  int c;

  if (a->class_index != b->class_index)
    return a->class_index < b->class_index ? -1 : 1;
  if (a->split != b->split)
    return a->split < b->split ? -1 : 1;
  if (a->label != b->label)
    return a->label < b->label ? -1 : 1;
  if ((c = strcmp (a->defect_type, b->defect_type)) != 0)
    return c;
  return strcmp (a->path, b->path);
}

static int
compare_class_names (gconstpointer pa, gconstpointer pb)
{
  const DmDatasetClass *a = pa, *b = pb;

  return strcmp (a->name, b->name);
}

void
dm_dataset_finish (DmDataset *ds)
{
  guint n_old = ds->class_array->len;
  g_autofree guint *count = g_new0 (guint, MAX (n_old, 1));
  g_autofree int *remap = g_new0 (int, MAX (n_old, 1));
  g_autoptr (GArray) kept = g_array_new (FALSE, TRUE, sizeof (DmDatasetClass));
  g_autofree char **names = NULL;

  /* drop the classes without samples, sort the others by name */
  for (guint i = 0; i < ds->n_samples; i++)
    count[ds->samples[i].class_index]++;
  for (guint c = 0; c < n_old; c++)
    {
      DmDatasetClass *cls = &g_array_index (ds->class_array, DmDatasetClass, c);

      if (count[c] > 0)
        g_array_append_val (kept, *cls);
      else
        class_clear (cls);
    }
  g_array_sort (kept, compare_class_names);
  names = g_new0 (char *, MAX (n_old, 1));
  for (guint c = 0; c < n_old; c++)
    names[c] = g_array_index (ds->class_array, DmDatasetClass, c).name;
  for (guint c = 0; c < n_old; c++)
    {
      remap[c] = -1;
      if (count[c] == 0)
        continue;
      for (guint k = 0; k < kept->len; k++)
        if (g_array_index (kept, DmDatasetClass, k).name == names[c])
          remap[c] = (int)k;
    }
  /* the entries moved into `kept`: empty the old array without freeing */
  g_array_set_clear_func (ds->class_array, NULL);
  g_array_set_size (ds->class_array, 0);
  g_array_set_clear_func (ds->class_array, (GDestroyNotify)class_clear);
  g_array_append_vals (ds->class_array, kept->data, kept->len);
  sync_pointers (ds);
  for (guint i = 0; i < ds->n_samples; i++)
    ds->samples[i].class_index = (guint)remap[ds->samples[i].class_index];

  apply_holdout (ds);
  g_array_sort (ds->sample_array, compare_samples);
  sync_pointers (ds);

  for (guint c = 0; c < ds->n_classes; c++)
    {
      DmDatasetClass *cls = &ds->classes[c];

      cls->n_train = cls->n_holdout = cls->n_test_good = cls->n_test_defect = cls->n_masks = 0;
    }
  for (guint i = 0; i < ds->n_samples; i++)
    {
      const DmSample *s = &ds->samples[i];
      DmDatasetClass *cls = &ds->classes[s->class_index];

      if (s->split == DM_SPLIT_TRAIN)
        cls->n_train++;
      else if (s->split == DM_SPLIT_HOLDOUT)
        cls->n_holdout++;
      else if (s->label == DM_LABEL_GOOD)
        cls->n_test_good++;
      else
        {
          cls->n_test_defect++;
          cls->n_masks += s->mask_path != NULL;
        }
    }
}

gboolean
dm_dataset_set_holdout (DmDataset *ds, double fraction, guint64 seed, GError **error)
{
  if (!(fraction >= 0.0 && fraction < 1.0))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "hold-out fraction %g is not in [0, 1)",
                   fraction);
      return FALSE;
    }
  ds->holdout_fraction = fraction;
  ds->holdout_seed = seed;
  dm_dataset_finish (ds);
  return TRUE;
}
