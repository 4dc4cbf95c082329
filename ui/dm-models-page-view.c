/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the Models page shows (dm-models-page-private.h): the versions with
 * their figures, the two compared, the images they decide differently, the
 * curves. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-metrics.h"
#include "dm-models-page-private.h"
#include "dm-models-plot.h"

#define THUMB_SIZE 112

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

void
dm_models_page_fill_versions (DmModelsPage *self)
{
  DmProject *p = dm_models_page_project (self);
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

void
dm_models_page_fill_summary (DmModelsPage *self)
{
  DmProject *p = dm_models_page_project (self);
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
void
dm_models_page_fill_dropdowns (DmModelsPage *self)
{
  DmProject *p = dm_models_page_project (self);
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

void
dm_models_page_fill_compare (DmModelsPage *self)
{
  DmProject *p = dm_models_page_project (self);
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

void
dm_models_page_fill_gallery (DmModelsPage *self)
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

void
dm_models_page_draw_curves (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
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
