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
#include "dm-models-page-private.h"
#include "dm-models-plot.h"
#include "dm-project-audit.h"
#include "dm-project-versions.h"
#include "dm-thumbnail-loader.h"


G_DEFINE_FINAL_TYPE (DmModelsPage, dm_models_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void reload (DmModelsPage *self);

DmProject *
dm_models_page_project (DmModelsPage *self)
{
  return self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
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
  dm_models_page_fill_versions (self);
  dm_models_page_fill_compare (self);
  dm_models_page_fill_gallery (self);
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
  DmProject *p = dm_models_page_project (self);
  Load *load;

  if (self->job != NULL)
    {
      self->reload_again = TRUE;
      return;
    }
  gtk_stack_set_visible_child_name (self->stack,
                                    p != NULL && p->versions->len > 0 ? "versions" : "empty");
  dm_models_page_fill_summary (self);
  dm_models_page_fill_dropdowns (self);
  dm_models_page_fill_versions (self);
  dm_models_page_fill_compare (self);
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
  DmProject *p = dm_models_page_project (self);

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
  DmProject *p = dm_models_page_project (self);
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
  DmProject *p = dm_models_page_project (self);
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
  DmProject *p = dm_models_page_project (self);
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
  DmProject *p = dm_models_page_project (self);
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
  DmProject *p = dm_models_page_project (self);
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
  dm_models_page_fill_summary (self);
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
  gtk_drawing_area_set_draw_func (self->curves, dm_models_page_draw_curves, self, NULL);
  dm_models_page_fill_summary (self);
}
