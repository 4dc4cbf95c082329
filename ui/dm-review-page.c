/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Review page's grid: the test images of the results in a GListStore,
 * sorted by score and filtered by class, decision, the user's verdict and
 * file name; the class's thresholds in the side panel, written into the
 * project as they move, with every badge and count following at once. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "dm-feedback.h"
#include "dm-project-audit.h"
#include "dm-review-cell.h"
#include "dm-project-versions.h"
#include "dm-review-page-private.h"

G_DEFINE_FINAL_TYPE (DmReviewPage, dm_review_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* positions of the decision and label dropdowns */
enum
{
  DECISION_ANY,
  DECISION_PASS,
  DECISION_UNCERTAIN,
  DECISION_FAIL,
};

enum
{
  LABEL_ANY,
  LABEL_GOOD,
  LABEL_DEFECT,
  LABEL_NONE,
};

/* ---- results shared with loading threads ---- */

DmProjectResults *
dm_review_results_share (DmProjectResults *results)
{
  DmProjectResults *shared = g_atomic_rc_box_dup (sizeof *results, results);

  /* a shallow copy: the members now belong to the shared one */
  g_free (results);
  return shared;
}

DmProjectResults *
dm_review_results_ref (DmProjectResults *shared)
{
  return g_atomic_rc_box_acquire (shared);
}

static void
results_clear (gpointer data)
{
  /* dm_project_results_free frees the struct too: hand it a copy */
  dm_project_results_free (g_memdup2 (data, sizeof (DmProjectResults)));
}

void
dm_review_results_unref (DmProjectResults *shared)
{
  g_atomic_rc_box_release_full (shared, results_clear);
}

/* ---- thresholds ---- */

void
dm_review_page_class_thresholds (DmReviewPage *self, guint class_index, DmThresholds *t)
{
  const DmResultClass *k = &self->results->classes[class_index];
  DmProjectClass *c = dm_project_find_class (dm_review_page_project (self), k->name);

  dm_thresholds_init (t);
  if (c == NULL)
    {
      /* a class removed since training: its proposals, never saved */
      t->image = k->proposed_image;
      t->pixel = k->proposed_pixel;
      return;
    }
  t->image = c->image_threshold;
  t->pixel = c->pixel_threshold;
  t->uncertain_low = c->uncertain_low;
  t->uncertain_high = c->uncertain_high;
}

guint8 *
dm_review_page_user_labels (DmReviewPage *self, guint class_index)
{
  const DmResultClass *k = &self->results->classes[class_index];
  guint8 *labels = g_new0 (guint8, MAX (k->n_images, 1));

  for (guint i = 0; i < k->n_images; i++)
    labels[i] = (guint8)dm_project_get_label (dm_review_page_project (self), k->images[i].path);
  return labels;
}

static void
update_summary (DmReviewPage *self)
{
  GListModel *model = G_LIST_MODEL (self->filtered);
  guint n = g_list_model_get_n_items (model), counts[3] = { 0, 0, 0 }, marked = 0;
  g_autofree char *images = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DmReviewItem) item = g_list_model_get_item (model, i);
      counts[dm_review_item_get_decision (item)]++;
      marked += dm_review_item_get_user_label (item) != DM_USER_LABEL_NONE;
    }
  images = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u image", "%u images", n), n);
  g_free (self->summary);
  /* TRANSLATORS: "12 images: 8 pass, 1 uncertain, 3 fail, 2 marked by you" */
  self->summary = g_strdup_printf (_ ("%s: %u pass, %u uncertain, %u fail, %u marked by you"),
                                   images, counts[DM_DECISION_PASS], counts[DM_DECISION_UNCERTAIN],
                                   counts[DM_DECISION_FAIL], marked);
  gtk_label_set_label (self->summary_label, self->summary);
}

/* The decisions of the images of a class at its thresholds now. */
static void
update_decisions (DmReviewPage *self, guint class_index)
{
  GListModel *store = G_LIST_MODEL (self->store);
  DmThresholds t;

  dm_review_page_class_thresholds (self, class_index, &t);
  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr (DmReviewItem) item = g_list_model_get_item (store, i);

      if (dm_review_item_get_class_index (item) == class_index)
        dm_review_item_set_decision (item, dm_decide (&t, dm_review_item_get_score (item)));
    }
  dm_review_page_decisions_changed (self);
  /* then by the class's rules, when it has some */
  dm_review_page_judge_class (self, class_index);
}

void
dm_review_page_decisions_changed (DmReviewPage *self)
{
  if (gtk_drop_down_get_selected (self->decision_dropdown) != DECISION_ANY
      || gtk_spin_button_get_value (self->region_spin) > 0)
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_summary (self);
  dm_review_page_detail_sync_thresholds (self);
}

/* "image=0.5213 pixel=0.4410 uncertain=0.4800..0.5600" for the trail */
static char *
describe_thresholds (const DmThresholds *t)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "image=%.4f pixel=%.4f", t->image, t->pixel);
  if (isfinite (t->uncertain_low) && isfinite (t->uncertain_high))
    g_string_append_printf (s, " uncertain=%.4f..%.4f", t->uncertain_low, t->uncertain_high);
  return g_string_free (s, FALSE);
}

void
dm_review_page_set_thresholds (DmReviewPage *self, guint class_index, const DmThresholds *t)
{
  DmProjectClass *c;

  g_return_if_fail (DM_IS_REVIEW_PAGE (self));
  g_return_if_fail (self->results != NULL && class_index < self->results->n_classes);
  c = dm_project_find_class (dm_review_page_project (self),
                             self->results->classes[class_index].name);
  if (c == NULL)
    return;
  {
    DmThresholds before = { .image = c->image_threshold,
                            .uncertain_low = c->uncertain_low,
                            .uncertain_high = c->uncertain_high,
                            .pixel = c->pixel_threshold };
    g_autofree char *was = describe_thresholds (&before);
    g_autofree char *now = describe_thresholds (t);

    /* a slider moves in bursts: one record once it rests */
    dm_open_project_audit_later (self->project, DM_AUDIT_THRESHOLD, c->name, now, was);
  }
  c->image_threshold = t->image;
  c->pixel_threshold = t->pixel;
  c->uncertain_low = t->uncertain_low;
  c->uncertain_high = t->uncertain_high;
  if (self->panel_class == (int)class_index)
    dm_threshold_panel_set_thresholds (self->threshold_panel, t);
  update_decisions (self, class_index);
  dm_review_page_detail_sync_thresholds (self);
  /* saved at once: a slider left where the user wants it survives a kill */
  dm_review_page_save (self);
}

static void
on_thresholds_changed (DmReviewPage *self)
{
  DmThresholds t;

  if (self->panel_class < 0 || self->updating)
    return;
  dm_threshold_panel_get_thresholds (self->threshold_panel, &t);
  dm_review_page_set_thresholds (self, (guint)self->panel_class, &t);
}

void
dm_review_page_show_panel_class (DmReviewPage *self, int class_index)
{
  g_autofree guint8 *labels = NULL;
  g_autofree char *title = NULL;
  DmThresholds t;

  if (self->results == NULL || class_index < 0)
    {
      self->panel_class = -1;
      gtk_widget_set_sensitive (GTK_WIDGET (self->threshold_panel), FALSE);
      gtk_label_set_label (self->panel_title, "");
      return;
    }
  if (self->panel_class == class_index)
    return;
  self->panel_class = class_index;
  labels = dm_review_page_user_labels (self, (guint)class_index);
  dm_review_page_class_thresholds (self, (guint)class_index, &t);
  self->updating = TRUE;
  dm_threshold_panel_set_result_class (self->threshold_panel, &self->results->classes[class_index],
                                       labels);
  dm_threshold_panel_set_thresholds (self->threshold_panel, &t);
  self->updating = FALSE;
  gtk_widget_set_sensitive (
    GTK_WIDGET (self->threshold_panel),
    dm_project_find_class (dm_review_page_project (self), self->results->classes[class_index].name)
      != NULL);
  /* TRANSLATORS: the heading of the threshold panel, %s a class name */
  title = g_strdup_printf (_ ("Thresholds of “%s”"), self->results->classes[class_index].name);
  gtk_label_set_label (self->panel_title, title);
}

/* The panel follows the class chosen in the filter, else the image at hand. */
static void
follow_class (DmReviewPage *self)
{
  guint choice = gtk_drop_down_get_selected (self->class_dropdown);
  DmReviewItem *item = dm_review_page_get_current (self);

  if (self->results == NULL)
    return;
  if (choice != GTK_INVALID_LIST_POSITION && choice > 0 && self->class_of_choice != NULL
      && choice - 1 < self->class_of_choice->len)
    dm_review_page_show_panel_class (self, g_array_index (self->class_of_choice, int, choice - 1));
  else if (item != NULL)
    dm_review_page_show_panel_class (self, (int)dm_review_item_get_class_index (item));
  else if (self->panel_class < 0 && self->class_of_choice->len > 0)
    dm_review_page_show_panel_class (self, g_array_index (self->class_of_choice, int, 0));
}

/* ---- filtering and sorting ---- */

static gboolean
filter_item (gpointer object, gpointer user_data)
{
  DmReviewItem *item = object;
  DmReviewPage *self = user_data;
  guint choice = gtk_drop_down_get_selected (self->class_dropdown);
  guint decision = gtk_drop_down_get_selected (self->decision_dropdown);
  guint label = gtk_drop_down_get_selected (self->label_dropdown);
  DmUserLabel user = dm_review_item_get_user_label (item);

  if (choice != GTK_INVALID_LIST_POSITION && choice > 0 && self->class_of_choice != NULL
      && choice - 1 < self->class_of_choice->len
      && g_array_index (self->class_of_choice, int, choice - 1)
           != (int)dm_review_item_get_class_index (item))
    return FALSE;
  /* a region of at least this size (0: any part); parts not judged yet
   * are left out until they are */
  if (gtk_spin_button_get_value (self->region_spin) > 0
      && !(dm_review_item_get_largest_region (item)
           >= gtk_spin_button_get_value (self->region_spin)))
    return FALSE;
  if (decision != GTK_INVALID_LIST_POSITION && decision != DECISION_ANY
      && dm_review_item_get_decision (item) != (DmDecision)(decision - DECISION_PASS))
    return FALSE;
  if ((label == LABEL_GOOD && user != DM_USER_LABEL_GOOD)
      || (label == LABEL_DEFECT && user != DM_USER_LABEL_DEFECT)
      || (label == LABEL_NONE && user != DM_USER_LABEL_NONE))
    return FALSE;
  if (self->search != NULL)
    {
      g_autofree char *name = g_utf8_casefold (dm_review_item_get_name (item), -1);
      if (strstr (name, self->search) == NULL)
        return FALSE;
    }
  return TRUE;
}

static int
by_score_descending (gconstpointer a, gconstpointer b, gpointer user_data)
{
  float sa = dm_review_item_get_score ((DmReviewItem *)a);
  float sb = dm_review_item_get_score ((DmReviewItem *)b);

  if (sa != sb)
    return sa > sb ? -1 : 1;
  return g_strcmp0 (dm_review_item_get_name ((DmReviewItem *)a),
                    dm_review_item_get_name ((DmReviewItem *)b));
}

void
dm_review_page_refilter (DmReviewPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_summary (self);
}

static void
on_filter_choice (DmReviewPage *self)
{
  if (self->updating)
    return;
  dm_review_page_refilter (self);
  follow_class (self);
}

static void
on_search_changed (DmReviewPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  g_clear_pointer (&self->search, g_free);
  if (text != NULL && text[0] != '\0')
    self->search = g_utf8_casefold (text, -1);
  dm_review_page_refilter (self);
}

static void
on_selection_changed (DmReviewPage *self)
{
  follow_class (self);
}

static void
on_activate (DmReviewPage *self, guint position)
{
  g_autoptr (DmReviewItem) item = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);

  if (item != NULL)
    dm_review_page_show_item (self, item, position);
}

/* ---- the grid's cells ---- */

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  gtk_list_item_set_child (list_item, dm_review_cell_new ());
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  DmReviewPage *self = user_data;

  dm_review_cell_set_item (DM_REVIEW_CELL (gtk_list_item_get_child (list_item)),
                           gtk_list_item_get_item (list_item), self->loader);
}

static void
unbind_cell (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  dm_review_cell_set_item (DM_REVIEW_CELL (gtk_list_item_get_child (list_item)), NULL, NULL);
}

/* ---- showing results ---- */

static void
set_choices (GtkDropDown *dropdown, const char *const *choices)
{
  g_autoptr (GtkStringList) list = gtk_string_list_new (choices);

  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (list));
}

static void
show_results (DmReviewPage *self, DmProjectResults *results)
{
  g_autoptr (GtkStringList) classes = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  DmProject *project;

  /* a pending mask is saved while the results it belongs to are there */
  dm_review_page_close_image (self);
  /* the results of a project: none without one */
  if (self->project == NULL)
    results = NULL;
  if (results != NULL)
    dm_review_results_ref (results);
  g_clear_pointer (&self->results, dm_review_results_unref);
  self->results = results;
  project = dm_review_page_project (self);
  self->panel_class = -1;

  self->updating = TRUE;
  g_list_store_remove_all (self->store);
  g_array_set_size (self->class_of_choice, 0);
  classes = gtk_string_list_new (NULL);
  gtk_string_list_append (classes, _ ("All Classes"));
  for (guint c = 0; results != NULL && c < results->n_classes; c++)
    {
      const DmResultClass *k = &results->classes[c];
      DmThresholds t;
      int ci = (int)c;
      guint n_test = 0;

      dm_review_page_class_thresholds (self, c, &t);
      for (guint i = 0; i < k->n_images; i++)
        {
          const DmResultImage *image = &k->images[i];
          DmReviewItem *item;

          if (image->split != DM_SPLIT_TEST)
            continue;
          item = dm_review_item_new (c, i, k->name, image->path, image->defect_type,
                                     image->label == DM_LABEL_DEFECT, image->score);
          dm_review_item_set_decision (item, dm_decide (&t, image->score));
          dm_review_item_set_user_label (item, dm_project_get_label (project, image->path));
          g_ptr_array_add (items, item);
          n_test++;
        }
      if (n_test == 0)
        continue;
      g_array_append_val (self->class_of_choice, ci);
      gtk_string_list_append (classes, k->name);
    }
  g_list_store_splice (self->store, 0, 0, items->pdata, items->len);
  gtk_drop_down_set_model (self->class_dropdown, G_LIST_MODEL (classes));
  /* one class: no choice to offer */
  gtk_widget_set_visible (GTK_WIDGET (self->class_dropdown), self->class_of_choice->len > 1);
  gtk_drop_down_set_selected (self->class_dropdown, 0);
  gtk_drop_down_set_selected (self->decision_dropdown, DECISION_ANY);
  gtk_drop_down_set_selected (self->label_dropdown, LABEL_ANY);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  g_clear_pointer (&self->search, g_free);
  self->updating = FALSE;

  dm_review_page_refilter (self);
  gtk_stack_set_visible_child_name (self->stack, items->len > 0 ? "results" : "empty");
  gtk_stack_set_visible_child_name (self->view_stack, "grid");
  dm_review_page_show_panel_class (self, -1);
  follow_class (self);
  for (guint c = 0; results != NULL && c < results->n_classes; c++)
    dm_review_page_judge_class (self, c);
}

void
dm_review_page_show_results (DmReviewPage *self, DmProjectResults *results)
{
  g_return_if_fail (DM_IS_REVIEW_PAGE (self));

  dm_job_clear (&self->results_job);
  show_results (self, results);
}

DmProjectResults *
dm_review_page_get_results (DmReviewPage *self)
{
  return self->results;
}

DmProject *
dm_review_page_project (DmReviewPage *self)
{
  return self->results != NULL ? dm_open_project_get_project (self->project) : NULL;
}

void
dm_review_page_save (DmReviewPage *self)
{
  if (self->project != NULL)
    dm_feedback_save (GTK_WIDGET (self), self->project, "review");
}

/* ---- the project's results, loaded off the main thread ---- */

typedef struct
{
  char *folder;
  DmProjectResults *results; /* shared */
} Load;

static void
load_free (Load *load)
{
  g_free (load->folder);
  g_clear_pointer (&load->results, dm_review_results_unref);
  g_free (load);
}

static gboolean
load_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Load *load = data;
  DmProjectResults *results = dm_project_results_load (load->folder, error);

  if (results != NULL)
    load->results = dm_review_results_share (results);
  return results != NULL;
}

static void
on_results_loaded (DmReviewPage *self, DmJob *job)
{
  const GError *error = dm_job_get_error (job);

  /* no results yet (not trained): the empty state */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    dm_feedback_toast (GTK_WIDGET (self), error->message);
  show_results (self, ((Load *)dm_job_get_data (job))->results);
}

/* The project's results, again (a model was trained). */
static void
load_results (DmReviewPage *self)
{
  Load *load;

  dm_job_clear (&self->results_job);
  if (self->project == NULL)
    return;
  load = g_new0 (Load, 1);
  load->folder = dm_project_results_folder (dm_open_project_get_project (self->project));
  self->results_job = dm_job_new (load_run, load, (GDestroyNotify)load_free);
  g_signal_connect_swapped (self->results_job, "finished", G_CALLBACK (on_results_loaded), self);
  dm_job_start (self->results_job);
}

void
dm_review_page_set_project (DmReviewPage *self, DmOpenProject *project)
{
  g_return_if_fail (DM_IS_REVIEW_PAGE (self));

  if (self->project == project)
    return;
  /* saves a mask being painted into the project it belongs to */
  dm_review_page_show_results (self, NULL);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_set_object (&self->project, project);
  if (project != NULL)
    g_signal_connect_object (project, "changed::model", G_CALLBACK (load_results), self,
                             G_CONNECT_SWAPPED);
  load_results (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

DmOpenProject *
dm_review_page_get_project (DmReviewPage *self)
{
  return self->project;
}

void
dm_review_page_set_thumbnail_loader (DmReviewPage *self, DmThumbnailLoader *loader)
{
  g_set_object (&self->loader, loader);
}

/* ---- lookups ---- */

DmReviewItem *
dm_review_page_find_item (DmReviewPage *self, const char *path)
{
  GListModel *store = G_LIST_MODEL (self->store);

  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr (DmReviewItem) item = g_list_model_get_item (store, i);

      if (g_strcmp0 (dm_review_item_get_path (item), path) == 0)
        return item; /* the store keeps it alive */
    }
  return NULL;
}

GListModel *
dm_review_page_get_items (DmReviewPage *self)
{
  g_return_val_if_fail (DM_IS_REVIEW_PAGE (self), NULL);
  return G_LIST_MODEL (self->filtered);
}

DmReviewItem *
dm_review_page_get_current (DmReviewPage *self)
{
  g_return_val_if_fail (DM_IS_REVIEW_PAGE (self), NULL);
  if (self->current != NULL)
    return self->current;
  return gtk_single_selection_get_selected_item (self->selection);
}

static const char *
label_name (DmUserLabel label)
{
  return label == DM_USER_LABEL_GOOD ? "good" : label == DM_USER_LABEL_DEFECT ? "defect" : "none";
}

/* The verdict in the audit trail: an undone one is a record too. */
static void
record_label (DmReviewPage *self, const char *path, DmUserLabel before, DmUserLabel after)
{
  g_autoptr (GError) error = NULL;

  if (before != after
      && !dm_open_project_audit (self->project, DM_AUDIT_LABEL, path, label_name (after),
                                 label_name (before), &error))
    g_warning ("%s", error->message);
}

gboolean
dm_review_page_label_image (DmReviewPage *self, const char *path, DmUserLabel label)
{
  DmReviewItem *item;
  guint c;

  g_return_val_if_fail (DM_IS_REVIEW_PAGE (self), FALSE);
  if (self->results == NULL || (item = dm_review_page_find_item (self, path)) == NULL)
    return FALSE;
  c = dm_review_item_get_class_index (item);
  record_label (self, path, dm_project_get_label (dm_review_page_project (self), path), label);
  dm_project_set_label (dm_review_page_project (self), path, label);
  dm_review_item_set_user_label (item, label);
  if (self->panel_class == (int)c)
    {
      g_autofree guint8 *labels = dm_review_page_user_labels (self, c);
      dm_threshold_panel_set_user_labels (self->threshold_panel, labels);
    }
  /* a label filter may hide it now; the large view keeps showing it */
  if (gtk_drop_down_get_selected (self->label_dropdown) != LABEL_ANY)
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_summary (self);
  if (item == self->current)
    dm_review_page_detail_sync_label (self);
  dm_review_page_save (self);
  return TRUE;
}

const char *
dm_review_page_get_summary (DmReviewPage *self)
{
  return self->summary;
}

DmThresholdPanel *
dm_review_page_get_threshold_panel (DmReviewPage *self)
{
  return self->threshold_panel;
}

DmHeatmapView *
dm_review_page_get_heatmap_view (DmReviewPage *self)
{
  return self->heatmap_view;
}

/* ---- GObject ---- */

static void
dm_review_page_dispose (GObject *object)
{
  DmReviewPage *self = DM_REVIEW_PAGE (object);

  dm_review_page_detail_dispose (self);
  dm_review_page_rules_dispose (self);
  dm_job_clear (&self->pixel_job);
  /* No gtk_widget_dispose_template: the bound stack is the bin's own
   * child, which AdwBin unparents itself (doing both unparents it twice). */
  dm_job_clear (&self->results_job);
  g_clear_pointer (&self->results, dm_review_results_unref);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  g_clear_object (&self->loader);
  g_clear_object (&self->selection);
  g_clear_object (&self->store);
  g_clear_pointer (&self->class_of_choice, g_array_unref);
  g_clear_pointer (&self->search, g_free);
  g_clear_pointer (&self->summary, g_free);
  G_OBJECT_CLASS (dm_review_page_parent_class)->dispose (object);
}

static void
dm_review_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT: g_value_set_object (value, DM_REVIEW_PAGE (object)->project); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_review_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT:
      dm_review_page_set_project (DM_REVIEW_PAGE (object), g_value_get_object (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_review_page_class_init (DmReviewPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_review_page_dispose;
  object_class->get_property = dm_review_page_get_property;
  object_class->set_property = dm_review_page_set_property;

  properties[PROP_PROJECT]
    = g_param_spec_object ("project", NULL, NULL, DM_TYPE_OPEN_PROJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (DM_TYPE_HEATMAP_VIEW);
  g_type_ensure (DM_TYPE_THRESHOLD_PANEL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-review-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, stack);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, view_stack);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, flap);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, grid_flap_button);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, detail_flap_button);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, class_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, decision_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, region_spin);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, label_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, grid_view);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, panel_title);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, threshold_panel);
  dm_review_page_detail_class_init (widget_class);
}

static void
dm_review_page_init (DmReviewPage *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  const char *decisions[] = { _ ("All Decisions"), C_ ("decision", "Pass"),
                              C_ ("decision", "Uncertain"), C_ ("decision", "Fail"), NULL };
  const char *labels[]
    = { _ ("All Verdicts"), C_ ("user label", "Marked Good"), C_ ("user label", "Marked Defect"),
        C_ ("user label", "Not Marked"), NULL };
  GtkCustomSorter *sorter;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->panel_class = -1;
  self->judge_jobs = g_ptr_array_new ();
  self->class_of_choice = g_array_new (FALSE, FALSE, sizeof (int));
  set_choices (self->decision_dropdown, decisions);
  set_choices (self->label_dropdown, labels);

  /* store -> sorted -> filtered -> selection (each owning the one before,
   * the selection owned here): the sort is done once, a threshold or label
   * change only filters again */
  self->store = g_list_store_new (DM_TYPE_REVIEW_ITEM);
  sorter = gtk_custom_sorter_new (by_score_descending, NULL, NULL);
  self->sorted
    = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->store)), GTK_SORTER (sorter));
  self->filter = gtk_custom_filter_new (filter_item, self, NULL);
  self->filtered
    = gtk_filter_list_model_new (G_LIST_MODEL (self->sorted), GTK_FILTER (self->filter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->filtered));
  gtk_single_selection_set_can_unselect (self->selection, FALSE);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell), self);
  gtk_grid_view_set_factory (self->grid_view, factory);
  gtk_grid_view_set_model (self->grid_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_swapped (self->grid_view, "activate", G_CALLBACK (on_activate), self);
  g_signal_connect_swapped (self->selection, "notify::selected", G_CALLBACK (on_selection_changed),
                            self);
  g_signal_connect_swapped (self->class_dropdown, "notify::selected", G_CALLBACK (on_filter_choice),
                            self);
  g_signal_connect_swapped (self->decision_dropdown, "notify::selected",
                            G_CALLBACK (on_filter_choice), self);
  g_signal_connect_swapped (self->label_dropdown, "notify::selected", G_CALLBACK (on_filter_choice),
                            self);
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (on_search_changed),
                            self);
  g_signal_connect_swapped (self->region_spin, "value-changed", G_CALLBACK (on_filter_choice),
                            self);
  g_signal_connect_swapped (self->threshold_panel, "thresholds-changed",
                            G_CALLBACK (on_thresholds_changed), self);
  g_signal_connect_swapped (self->threshold_panel, "pixel-f1-requested",
                            G_CALLBACK (dm_review_page_propose_pixel_f1), self);
  /* in a narrow window the panel folds away behind a button */
  for (guint i = 0; i < 2; i++)
    {
      GtkToggleButton *button = i == 0 ? self->grid_flap_button : self->detail_flap_button;

      g_object_bind_property (self->flap, "reveal-flap", button, "active",
                              G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
      g_object_bind_property (self->flap, "folded", button, "visible", G_BINDING_SYNC_CREATE);
    }
  dm_review_page_detail_init (self);
  gtk_stack_set_visible_child_name (self->stack, "empty");
}
