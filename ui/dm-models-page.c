/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Models page (dm-models-page.h): the versions in project.json, the
 * figures that need their results read in a DmJob (dm-models-data.h), the
 * curves (dm-models-plot.h), and the actions models.* with one level of
 * undo through a toast. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-feedback.h"
#include "dm-job.h"
#include "dm-metrics.h"
#include "dm-models-data.h"
#include "dm-models-page.h"
#include "dm-models-plot.h"
#include "dm-project-audit.h"
#include "dm-project-versions.h"
#include "dm-thumbnail-loader.h"

#define THUMB_SIZE 112

typedef enum
{
  UNDO_NONE,
  UNDO_PROMOTE,   /* undo: roll back */
  UNDO_ROLL_BACK, /* undo: promote undo_id again */
  UNDO_DELETE,    /* undo: put removed back */
} UndoKind;

struct _DmModelsPage
{
  AdwBin parent_instance;

  GtkStack *stack;
  GtkLabel *summary_label;
  GtkButton *roll_back_button;
  GtkGrid *versions_grid;
  GtkDropDown *compare_a;
  GtkDropDown *compare_b;
  GtkSpinner *spinner;
  GtkLabel *compare_status;
  GtkGrid *compare_grid;
  GtkDrawingArea *curves;
  GtkLabel *disagree_label;
  GtkFlowBox *disagree_box;

  DmOpenProject *project;
  GArray *ids; /* guint: the versions in the dropdowns, in order */
  gboolean updating;
  guint compared[2];
  DmJob *job;
  gboolean reload_again; /* something changed while the job ran */
  DmModelsData *data;    /* the last figures read, or NULL */
  DmThumbnailLoader *thumbs;
  GCancellable *thumbs_cancel;

  UndoKind undo;
  guint undo_id;
  DmProjectVersion *removed; /* deleted, its files kept while undo can bring it back */
  guint removed_index;
};

G_DEFINE_FINAL_TYPE (DmModelsPage, dm_models_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void reload (DmModelsPage *self);

static DmProject *
project_of (DmModelsPage *self)
{
  return self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
}

/* ---- figures ---- */

/* The mean of a metric over the version's classes that have it. */
static double
metric_mean (const DmProjectVersion *v, DmMetricId m)
{
  double sum = 0;
  guint n = 0;

  for (guint i = 0; i < v->classes->len; i++)
    {
      const DmVersionClass *c = v->classes->pdata[i];

      if (c->has_metrics && isfinite (c->metrics[m]))
        sum += c->metrics[m], n++;
    }
  return n > 0 ? sum / n : NAN;
}

static const DmVersionRates *
rates_of (DmModelsPage *self, guint id)
{
  for (guint i = 0; self->data != NULL && i < self->data->rates->len; i++)
    if (g_array_index (self->data->rates, DmVersionRates, i).id == id)
      return &g_array_index (self->data->rates, DmVersionRates, i);
  return NULL;
}

static char *
format_number (double x)
{
  return isfinite (x) ? g_strdup_printf ("%.3f", x) : g_strdup ("—");
}

static char *
format_rate (double x)
{
  return isfinite (x) ? g_strdup_printf ("%.1f %%", 100 * x) : g_strdup ("—");
}

static const char *
metric_title (DmMetricId m)
{
  switch (m)
    {
    case DM_METRIC_IMAGE_AUROC: return _ ("Image AUROC");
    case DM_METRIC_IMAGE_AP: return _ ("Image AP");
    case DM_METRIC_IMAGE_F1MAX: return _ ("Image F1");
    case DM_METRIC_PIXEL_AUROC: return _ ("Pixel AUROC");
    case DM_METRIC_PIXEL_AP: return _ ("Pixel AP");
    case DM_METRIC_PIXEL_F1MAX: return _ ("Pixel F1");
    case DM_METRIC_AUPRO:
    case DM_METRIC_COUNT:
    default: return _ ("AUPRO");
    }
}

static GtkWidget *
cell (const char *text, gboolean dim, gboolean numeric)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1 : 0);
  gtk_label_set_wrap (GTK_LABEL (label), !numeric);
  if (dim)
    gtk_widget_add_css_class (label, "dim-label");
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  return label;
}

static void
clear_grid (GtkGrid *grid)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL)
    gtk_grid_remove (grid, child);
}

static char *
version_name (guint id)
{
  return g_strdup_printf (_ ("Version %u"), id);
}

/* "2026-12-07 21:14 by ada · random small · quick, 12 images" */
static char *
version_details (const DmProjectVersion *v)
{
  g_autoptr (GDateTime) utc
    = v->created != NULL ? g_date_time_new_from_iso8601 (v->created, NULL) : NULL;
  g_autoptr (GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
  g_autofree char *when = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M")
                                        : g_strdup (v->created != NULL ? v->created : "");
  g_autofree char *images
    = v->n_line_parts > 0
        ? g_strdup_printf (_ ("%u training images, %u from the line"), v->n_train, v->n_line_parts)
        : g_strdup_printf (_ ("%u training images"), v->n_train);

  /* TRANSLATORS: when, by whom; backbone · preset; training images */
  return g_strdup_printf (_ ("%s by %s\n%s · %s\n%s"), when, v->user != NULL ? v->user : "?",
                          v->backbone != NULL ? v->backbone : "",
                          v->preset != NULL ? v->preset : "", images);
}

static GtkWidget *
row_button (const char *icon, const char *tooltip, const char *action, guint id, gboolean enabled)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "u", id);
  gtk_widget_set_sensitive (button, enabled);
  return button;
}

static void
fill_versions (DmModelsPage *self)
{
  DmProject *p = project_of (self);
  int col = 1, row = 1;

  clear_grid (self->versions_grid);
  if (p == NULL)
    return;
  gtk_grid_attach (self->versions_grid, cell (_ ("Version"), TRUE, FALSE), 0, 0, 1, 1);
  for (int m = 0; m < DM_METRIC_COUNT; m++)
    gtk_grid_attach (self->versions_grid, cell (metric_title (m), TRUE, TRUE), col++, 0, 1, 1);
  gtk_grid_attach (self->versions_grid, cell (_ ("False Rejects"), TRUE, TRUE), col++, 0, 1, 1);
  gtk_grid_attach (self->versions_grid, cell (_ ("Escapes"), TRUE, TRUE), col++, 0, 1, 1);
  /* the newest first */
  for (guint i = p->versions->len; i-- > 0; row++)
    {
      const DmProjectVersion *v = p->versions->pdata[i];
      const DmVersionRates *r = rates_of (self, v->id);
      gboolean active = v->id == p->active_version;
      g_autofree char *name = version_name (v->id);
      g_autofree char *title = active ? g_strdup_printf (_ ("%s — active"), name) : g_strdup (name);
      g_autofree char *details = version_details (v);
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *title_label = cell (title, FALSE, FALSE);
      GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
      g_autofree char *fr = format_rate (r != NULL ? r->false_reject : NAN);
      g_autofree char *esc = format_rate (r != NULL ? r->escape : NAN);

      gtk_widget_add_css_class (title_label, "heading");
      gtk_box_append (GTK_BOX (box), title_label);
      gtk_box_append (GTK_BOX (box), cell (details, TRUE, FALSE));
      gtk_widget_add_css_class (gtk_widget_get_last_child (box), "caption");
      gtk_grid_attach (self->versions_grid, box, 0, row, 1, 1);
      col = 1;
      for (int m = 0; m < DM_METRIC_COUNT; m++)
        {
          g_autofree char *x = format_number (metric_mean (v, m));

          gtk_grid_attach (self->versions_grid, cell (x, FALSE, TRUE), col++, row, 1, 1);
        }
      gtk_grid_attach (self->versions_grid, cell (fr, FALSE, TRUE), col++, row, 1, 1);
      gtk_grid_attach (self->versions_grid, cell (esc, FALSE, TRUE), col++, row, 1, 1);
      gtk_box_append (GTK_BOX (buttons), row_button ("emblem-default-symbolic",
                                                     _ ("Promote: make it the active model"),
                                                     "models.promote", v->id, !active));
      gtk_box_append (GTK_BOX (buttons), row_button ("user-trash-symbolic", _ ("Delete"),
                                                     "models.delete", v->id, !active));
      gtk_grid_attach (self->versions_grid, buttons, col, row, 1, 1);
    }
}

static void
fill_summary (DmModelsPage *self)
{
  DmProject *p = project_of (self);
  guint back = p != NULL ? dm_project_roll_back_target (p) : 0;
  g_autofree char *summary = NULL, *button = NULL;

  if (p == NULL || p->active_version == 0)
    summary = g_strdup (_ ("No version is active: train one on the Train page."));
  else
    summary = g_strdup_printf (
      _ ("Version %u is the active model: Inspect, the line and reports use it."),
      p->active_version);
  gtk_label_set_label (self->summary_label, summary);
  button = back > 0 ? g_strdup_printf (_ ("_Roll Back to Version %u"), back)
                    : g_strdup (_ ("_Roll Back"));
  gtk_button_set_label (self->roll_back_button, button);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "models.roll-back", back > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "models.undo", self->undo != UNDO_NONE);
}

/* The dropdowns offer every version; they keep what was chosen when it is
 * still there, else the active one against the newest other. */
static void
fill_dropdowns (DmModelsPage *self)
{
  DmProject *p = project_of (self);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  guint want[2] = { self->compared[0], self->compared[1] };
  guint pick[2] = { GTK_INVALID_LIST_POSITION, GTK_INVALID_LIST_POSITION };

  g_array_set_size (self->ids, 0);
  for (guint i = 0; p != NULL && i < p->versions->len; i++)
    {
      const DmProjectVersion *v = p->versions->pdata[i];
      g_autofree char *name = version_name (v->id);

      g_array_append_val (self->ids, v->id);
      gtk_string_list_append (names, name);
    }
  if (p != NULL
      && (dm_project_find_version (p, want[0]) == NULL
          || dm_project_find_version (p, want[1]) == NULL || want[0] == want[1]))
    {
      want[0] = p->active_version;
      want[1] = 0;
      for (guint i = p->versions->len; i-- > 0 && want[1] == 0;)
        if (((DmProjectVersion *)p->versions->pdata[i])->id != want[0])
          want[1] = ((DmProjectVersion *)p->versions->pdata[i])->id;
    }
  for (guint i = 0; i < self->ids->len; i++)
    for (int k = 0; k < 2; k++)
      if (g_array_index (self->ids, guint, i) == want[k])
        pick[k] = i;
  self->updating = TRUE;
  gtk_drop_down_set_model (self->compare_a, G_LIST_MODEL (names));
  gtk_drop_down_set_model (self->compare_b, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->compare_a, pick[0]);
  gtk_drop_down_set_selected (self->compare_b, pick[1]);
  self->updating = FALSE;
  self->compared[0] = pick[0] != GTK_INVALID_LIST_POSITION ? want[0] : 0;
  self->compared[1] = pick[1] != GTK_INVALID_LIST_POSITION ? want[1] : 0;
}

/* ---- the comparison ---- */

static void
compare_row (GtkGrid *grid, int row, const char *title, char *a, char *b, char *diff)
{
  gtk_grid_attach (grid, cell (title, TRUE, FALSE), 0, row, 1, 1);
  gtk_grid_attach (grid, cell (a, FALSE, TRUE), 1, row, 1, 1);
  gtk_grid_attach (grid, cell (b, FALSE, TRUE), 2, row, 1, 1);
  gtk_grid_attach (grid, cell (diff, TRUE, TRUE), 3, row, 1, 1);
  g_free (a);
  g_free (b);
  g_free (diff);
}

static char *
format_difference (double a, double b, gboolean percent)
{
  if (!isfinite (a) || !isfinite (b))
    return g_strdup ("");
  return percent ? g_strdup_printf ("%+.1f %%", 100 * (b - a)) : g_strdup_printf ("%+.3f", b - a);
}

static void
fill_compare (DmModelsPage *self)
{
  DmProject *p = project_of (self);
  const DmProjectVersion *v[2] = { NULL, NULL };
  const DmVersionRates *r[2] = { NULL, NULL };
  int row = 1;

  clear_grid (self->compare_grid);
  for (int k = 0; k < 2 && p != NULL; k++)
    {
      v[k] = dm_project_find_version (p, self->compared[k]);
      r[k] = rates_of (self, self->compared[k]);
    }
  if (v[0] == NULL || v[1] == NULL)
    return;
  for (int k = 0; k < 2; k++)
    {
      g_autofree char *name = version_name (v[k]->id);
      GtkWidget *head = cell (name, FALSE, TRUE);

      gtk_widget_add_css_class (head, "heading");
      gtk_grid_attach (self->compare_grid, head, 1 + k, 0, 1, 1);
    }
  for (int m = 0; m < DM_METRIC_COUNT; m++)
    {
      double a = metric_mean (v[0], m), b = metric_mean (v[1], m);

      compare_row (self->compare_grid, row++, metric_title (m), format_number (a),
                   format_number (b), format_difference (a, b, FALSE));
    }
  {
    double a = r[0] != NULL ? r[0]->false_reject : NAN, b = r[1] != NULL ? r[1]->false_reject : NAN;

    compare_row (self->compare_grid, row++, _ ("False Rejects"), format_rate (a), format_rate (b),
                 format_difference (a, b, TRUE));
    a = r[0] != NULL ? r[0]->escape : NAN;
    b = r[1] != NULL ? r[1]->escape : NAN;
    compare_row (self->compare_grid, row++, _ ("Escapes"), format_rate (a), format_rate (b),
                 format_difference (a, b, TRUE));
  }
}

static void
on_thumbnail (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GtkPicture) picture = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture
    = dm_thumbnail_loader_load_finish (DM_THUMBNAIL_LOADER (source), result, &error);

  if (texture != NULL)
    gtk_picture_set_paintable (picture, GDK_PAINTABLE (texture));
}

static GtkWidget *
disagreement_cell (DmModelsPage *self, const DmDisagreement *x)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *picture = gtk_picture_new ();
  g_autofree char *base = g_path_get_basename (x->path);
  /* TRANSLATORS: the first version's decision → the second's */
  g_autofree char *text
    = g_strdup_printf (_ ("%s → %s"), dm_decision_name (x->a), dm_decision_name (x->b));
  g_autofree char *tip
    = g_strdup_printf (_ ("%s (%s, labelled %s): score %.4f, then %.4f"), base, x->class_name,
                       x->is_defect ? _ ("defect") : _ ("good"), x->score_a, x->score_b);
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_set_size_request (picture, THUMB_SIZE, THUMB_SIZE);
  gtk_widget_add_css_class (label, "review-badge");
  gtk_widget_add_css_class (label, dm_decision_name (x->b));
  gtk_widget_set_halign (label, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), label);
  gtk_widget_set_tooltip_text (box, tip);
  dm_thumbnail_loader_load_async (self->thumbs, x->path, THUMB_SIZE, self->thumbs_cancel,
                                  on_thumbnail, g_object_ref (picture));
  return box;
}

static void
fill_gallery (DmModelsPage *self)
{
  const DmModelsData *d = self->data;
  g_autofree char *text = NULL;
  GtkWidget *child;

  g_cancellable_cancel (self->thumbs_cancel);
  g_clear_object (&self->thumbs_cancel);
  self->thumbs_cancel = g_cancellable_new ();
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->disagree_box))) != NULL)
    gtk_flow_box_remove (self->disagree_box, child);
  if (d == NULL || d->compare[0] == 0)
    {
      gtk_label_set_label (self->disagree_label, "");
      return;
    }
  if (d->n_disagreements == 0)
    text = g_strdup_printf (_ ("They decide the same on all %u test images"), d->n_compared);
  else if (d->n_disagreements > d->disagreements->len)
    text = g_strdup_printf (_ ("They decide differently on %u of %u test images (the first %u)"),
                            d->n_disagreements, d->n_compared, d->disagreements->len);
  else
    text = g_strdup_printf (_ ("They decide differently on %u of %u test images"),
                            d->n_disagreements, d->n_compared);
  gtk_label_set_label (self->disagree_label, text);
  for (guint i = 0; i < d->disagreements->len; i++)
    gtk_flow_box_append (self->disagree_box, disagreement_cell (self, d->disagreements->pdata[i]));
}

static void
draw_curves (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  DmModelsPage *self = data;
  g_autofree char *a = NULL, *b = NULL;
  const char *names[2];
  GdkRGBA fg;

  if (self->data == NULL)
    return;
  a = version_name (self->data->compare[0]);
  b = version_name (self->data->compare[1]);
  names[0] = a;
  names[1] = b;
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (area)), &fg);
  dm_models_plot_draw (cr, width, height, self->data, names, &fg);
}

/* ---- reading the results ---- */

typedef struct
{
  DmModelsData *data;
} Load;

static void
load_free (Load *load)
{
  g_clear_pointer (&load->data, dm_models_data_free);
  g_free (load);
}

static gboolean
load_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  return dm_models_data_load (((Load *)data)->data, error);
}

static void
on_loaded (DmModelsPage *self, DmJob *job)
{
  Load *load = dm_job_get_data (job);
  const GError *error = dm_job_get_error (job);

  gtk_spinner_stop (self->spinner);
  if (error == NULL)
    {
      g_clear_pointer (&self->data, dm_models_data_free);
      self->data = g_steal_pointer (&load->data);
    }
  gtk_label_set_label (self->compare_status, error != NULL ? error->message
                                             : self->compared[0] == 0
                                               ? _ ("Train a second version to compare the two.")
                                               : "");
  dm_job_clear (&self->job);
  fill_versions (self);
  fill_compare (self);
  fill_gallery (self);
  gtk_widget_queue_draw (GTK_WIDGET (self->curves));
  if (self->reload_again)
    {
      self->reload_again = FALSE;
      reload (self);
    }
}

/* Everything shown again from the project; the results read anew. */
static void
reload (DmModelsPage *self)
{
  DmProject *p = project_of (self);
  Load *load;

  if (self->job != NULL)
    {
      self->reload_again = TRUE;
      return;
    }
  gtk_stack_set_visible_child_name (self->stack,
                                    p != NULL && p->versions->len > 0 ? "versions" : "empty");
  fill_summary (self);
  fill_dropdowns (self);
  fill_versions (self);
  fill_compare (self);
  if (p == NULL || p->versions->len == 0)
    return;
  load = g_new0 (Load, 1);
  load->data = dm_models_data_new (p->folder, self->compared[0], self->compared[1]);
  self->job = dm_job_new (load_run, load, (GDestroyNotify)load_free);
  g_signal_connect_swapped (self->job, "finished", G_CALLBACK (on_loaded), self);
  gtk_spinner_start (self->spinner);
  dm_job_start (self->job);
}

static void
on_compare_changed (DmModelsPage *self)
{
  guint a = gtk_drop_down_get_selected (self->compare_a);
  guint b = gtk_drop_down_get_selected (self->compare_b);

  if (self->updating || a >= self->ids->len || b >= self->ids->len)
    return;
  dm_models_page_compare (self, g_array_index (self->ids, guint, a),
                          g_array_index (self->ids, guint, b));
}

void
dm_models_page_compare (DmModelsPage *self, guint a, guint b)
{
  g_return_if_fail (DM_IS_MODELS_PAGE (self));
  self->compared[0] = a;
  self->compared[1] = b;
  reload (self);
}

/* ---- promote, roll back, delete, undo ---- */

static void
audit (DmModelsPage *self, const char *action, guint target, guint value, guint previous)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *t = g_strdup_printf ("%u", target);
  g_autofree char *v = value > 0 ? g_strdup_printf ("%u", value) : NULL;
  g_autofree char *b = previous > 0 ? g_strdup_printf ("%u", previous) : NULL;

  if (!dm_open_project_audit (self->project, action, t, v, b, &error))
    dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Write the Audit Trail"), error);
}

/* Files of a deleted version go once its deletion can no longer be undone. */
static void
forget_removed (DmModelsPage *self)
{
  g_autoptr (GError) error = NULL;
  DmProject *p = project_of (self);

  if (self->removed == NULL)
    return;
  if (p != NULL && !dm_project_version_delete_files (p, self->removed, &error))
    g_warning ("%s", error->message);
  g_clear_pointer (&self->removed, dm_project_version_free);
}

static void
on_toast_undo (AdwToast *toast, DmModelsPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "models.undo", NULL);
}

static void
offer_undo (DmModelsPage *self, UndoKind kind, guint id, const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  AdwToast *toast;

  if (kind != UNDO_DELETE)
    forget_removed (self);
  self->undo = kind;
  self->undo_id = id;
  if (overlay == NULL)
    return;
  toast = adw_toast_new (text);
  adw_toast_set_button_label (toast, _ ("_Undo"));
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (on_toast_undo), self, 0);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

static gboolean
changed (DmModelsPage *self)
{
  gboolean ok = dm_feedback_save (GTK_WIDGET (self), self->project, "model");

  dm_open_project_changed (self->project, "versions");
  return ok;
}

static gboolean
promote (DmModelsPage *self, guint id, const char *action)
{
  DmProject *p = project_of (self);
  g_autoptr (GError) error = NULL;
  guint before = p != NULL ? p->active_version : 0;

  if (p == NULL || id == before)
    return FALSE;
  if (!dm_project_promote (p, id, &error))
    {
      dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Promote the Version"), error);
      return FALSE;
    }
  changed (self);
  audit (self, action, id, id, before);
  return TRUE;
}

static void
promote_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmModelsPage *self = DM_MODELS_PAGE (widget);
  guint id = g_variant_get_uint32 (param);
  g_autofree char *text = NULL;

  if (!promote (self, id, DM_AUDIT_PROMOTE))
    return;
  text = g_strdup_printf (_ ("Version %u is the active model"), id);
  offer_undo (self, UNDO_PROMOTE, id, text);
}

static gboolean
roll_back (DmModelsPage *self)
{
  DmProject *p = project_of (self);
  g_autoptr (GError) error = NULL;
  guint before = p != NULL ? p->active_version : 0;
  guint target = p != NULL ? dm_project_roll_back_target (p) : 0;

  if (target == 0)
    return FALSE;
  if (!dm_project_roll_back (p, &error))
    {
      dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Roll Back"), error);
      return FALSE;
    }
  changed (self);
  audit (self, DM_AUDIT_ROLL_BACK, target, target, before);
  return TRUE;
}

static void
roll_back_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmModelsPage *self = DM_MODELS_PAGE (widget);
  DmProject *p = project_of (self);
  guint before = p != NULL ? p->active_version : 0;
  g_autofree char *text = NULL;

  if (!roll_back (self))
    return;
  text = g_strdup_printf (_ ("Back to version %u"), p->active_version);
  offer_undo (self, UNDO_ROLL_BACK, before, text);
}

static void
delete_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmModelsPage *self = DM_MODELS_PAGE (widget);
  DmProject *p = project_of (self);
  guint id = g_variant_get_uint32 (param);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  DmProjectVersion *v;
  guint index;

  if (p == NULL)
    return;
  forget_removed (self);
  v = dm_project_remove_version (p, id, &index, &error);
  if (v == NULL)
    {
      dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Delete the Version"), error);
      return;
    }
  self->removed = v;
  self->removed_index = index;
  changed (self);
  audit (self, DM_AUDIT_DELETE_VERSION, id, 0, 0);
  text = g_strdup_printf (_ ("Version %u deleted"), id);
  offer_undo (self, UNDO_DELETE, id, text);
}

static void
undo_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmModelsPage *self = DM_MODELS_PAGE (widget);
  DmProject *p = project_of (self);
  UndoKind kind = self->undo;

  if (p == NULL)
    return;
  self->undo = UNDO_NONE;
  switch (kind)
    {
    case UNDO_PROMOTE: roll_back (self); break;
    case UNDO_ROLL_BACK: promote (self, self->undo_id, DM_AUDIT_PROMOTE); break;
    case UNDO_DELETE:
      if (self->removed != NULL)
        {
          guint id = self->removed->id;

          dm_project_insert_version (p, g_steal_pointer (&self->removed), self->removed_index);
          changed (self);
          audit (self, DM_AUDIT_RESTORE_VERSION, id, 0, 0);
        }
      break;
    case UNDO_NONE:
    default: break;
    }
  fill_summary (self);
}

/* ---- the project ---- */

static void
on_project_changed (DmModelsPage *self)
{
  reload (self);
}

void
dm_models_page_set_project (DmModelsPage *self, DmOpenProject *project)
{
  g_return_if_fail (DM_IS_MODELS_PAGE (self));

  if (self->project == project)
    return;
  forget_removed (self);
  self->undo = UNDO_NONE;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_set_object (&self->project, project);
  self->compared[0] = self->compared[1] = 0;
  g_clear_pointer (&self->data, dm_models_data_free);
  if (project != NULL)
    {
      static const char *const parts[]
        = { "changed::model", "changed::versions", "changed::review", "changed::classes" };

      for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
        g_signal_connect_object (project, parts[i], G_CALLBACK (on_project_changed), self,
                                 G_CONNECT_SWAPPED);
    }
  reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

DmOpenProject *
dm_models_page_get_project (DmModelsPage *self)
{
  return self->project;
}

gboolean
dm_models_page_is_loading (DmModelsPage *self)
{
  return self->job != NULL;
}

guint
dm_models_page_get_n_compared (DmModelsPage *self)
{
  return self->data != NULL ? self->data->n_compared : 0;
}

guint
dm_models_page_get_n_disagreements (DmModelsPage *self)
{
  return self->data != NULL ? self->data->n_disagreements : 0;
}

/* ---- GObject ---- */

static void
dm_models_page_dispose (GObject *object)
{
  DmModelsPage *self = DM_MODELS_PAGE (object);

  forget_removed (self);
  dm_job_clear (&self->job);
  g_cancellable_cancel (self->thumbs_cancel);
  g_clear_object (&self->thumbs_cancel);
  g_clear_object (&self->thumbs);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  g_clear_pointer (&self->data, dm_models_data_free);
  g_clear_pointer (&self->ids, g_array_unref);
  G_OBJECT_CLASS (dm_models_page_parent_class)->dispose (object);
}

static void
dm_models_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT: g_value_set_object (value, DM_MODELS_PAGE (object)->project); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_models_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT:
      dm_models_page_set_project (DM_MODELS_PAGE (object), g_value_get_object (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_models_page_class_init (DmModelsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_models_page_dispose;
  object_class->get_property = dm_models_page_get_property;
  object_class->set_property = dm_models_page_set_property;
  properties[PROP_PROJECT]
    = g_param_spec_object ("project", NULL, NULL, DM_TYPE_OPEN_PROJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-models-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, roll_back_button);
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, versions_grid);
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, compare_a);
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, compare_b);
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, compare_status);
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, compare_grid);
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, curves);
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, disagree_label);
  gtk_widget_class_bind_template_child (widget_class, DmModelsPage, disagree_box);
  gtk_widget_class_bind_template_callback (widget_class, on_compare_changed);

  gtk_widget_class_install_action (widget_class, "models.promote", "u", promote_action);
  gtk_widget_class_install_action (widget_class, "models.roll-back", NULL, roll_back_action);
  gtk_widget_class_install_action (widget_class, "models.delete", "u", delete_action);
  gtk_widget_class_install_action (widget_class, "models.undo", NULL, undo_action);
}

static void
dm_models_page_init (DmModelsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->ids = g_array_new (FALSE, FALSE, sizeof (guint));
  self->thumbs = dm_thumbnail_loader_new (1, 64);
  gtk_drawing_area_set_draw_func (self->curves, draw_curves, self, NULL);
  fill_summary (self);
}
