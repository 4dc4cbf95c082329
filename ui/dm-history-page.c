/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The History page (dm-history-page.h). */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-history-page.h"
#include "dm-job.h"
#include "dm-project-audit.h"

/* the newest records shown; the trail itself keeps everything */
#define MAX_SHOWN 500

struct _DmHistoryPage
{
  AdwBin parent_instance;

  GtkStack *stack;
  GtkLabel *summary_label;
  GtkListBox *list;

  DmOpenProject *project;
  DmJob *job;
  gboolean again; /* a record came while reading */
  guint n_shown;
};

G_DEFINE_FINAL_TYPE (DmHistoryPage, dm_history_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  char *folder;
  GPtrArray *entries; /* DmAuditEntry* */
  guint n_skipped;
} Read;

static void
read_free (Read *r)
{
  g_free (r->folder);
  g_clear_pointer (&r->entries, g_ptr_array_unref);
  g_free (r);
}

static gboolean
read_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Read *r = data;

  r->entries = dm_audit_read (r->folder, &r->n_skipped, error);
  return r->entries != NULL;
}

static gboolean
is_version_action (const char *action)
{
  static const char *const actions[] = { DM_AUDIT_TRAIN, DM_AUDIT_PROMOTE, DM_AUDIT_ROLL_BACK,
                                         DM_AUDIT_DELETE_VERSION, DM_AUDIT_RESTORE_VERSION };

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    if (g_str_equal (action, actions[i]))
      return TRUE;
  return FALSE;
}

static GtkWidget *
entry_row (const DmAuditEntry *e)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *when = dm_audit_entry_format_time (e);
  g_autofree char *change = dm_audit_entry_describe_change (e);
  /* an image is named by its file, a version as such, a class as it is */
  g_autofree char *target = is_version_action (e->action)
                              ? g_strdup_printf (_ ("version %s"), e->target)
                              : g_path_get_basename (e->target);
  g_autofree char *title = NULL, *subtitle = NULL;

  title = change != NULL
            ? g_strdup_printf ("%s: %s — %s", dm_audit_action_title (e->action), target, change)
            : g_strdup_printf ("%s: %s", dm_audit_action_title (e->action), target);
  /* TRANSLATORS: when, by whom, with which model version active */
  subtitle = e->version > 0
               ? g_strdup_printf (_ ("%s by %s, model version %u"), when, e->user, e->version)
               : g_strdup_printf (_ ("%s by %s"), when, e->user);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_tooltip_text (row, e->target);
  return row;
}

static void reload (DmHistoryPage *self);

static void
on_read (DmHistoryPage *self, DmJob *job)
{
  Read *r = dm_job_get_data (job);
  const GError *error = dm_job_get_error (job);
  GtkWidget *child;
  g_autofree char *summary = NULL;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  self->n_shown = 0;
  if (error != NULL)
    summary = g_strdup (error->message);
  else
    {
      guint n = r->entries->len;

      for (guint i = n; i-- > 0 && self->n_shown < MAX_SHOWN; self->n_shown++)
        gtk_list_box_append (self->list, entry_row (r->entries->pdata[i]));
      summary = n > self->n_shown ? g_strdup_printf (
                  _ ("The latest %u of %u changes, the newest first"), self->n_shown, n)
                                  : g_strdup_printf (_ ("%u changes, the newest first"), n);
      if (r->n_skipped > 0)
        {
          g_autofree char *more
            = g_strdup_printf (_ ("%s (%u lines of the trail are not records and were left out)"),
                               summary, r->n_skipped);

          g_free (summary);
          summary = g_steal_pointer (&more);
        }
    }
  gtk_label_set_label (self->summary_label, summary);
  gtk_stack_set_visible_child_name (self->stack,
                                    error == NULL && self->n_shown == 0 ? "empty" : "trail");
  dm_job_clear (&self->job);
  if (self->again)
    {
      self->again = FALSE;
      reload (self);
    }
}

static void
reload (DmHistoryPage *self)
{
  Read *r;

  if (self->job != NULL)
    {
      self->again = TRUE;
      return;
    }
  if (self->project == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  r = g_new0 (Read, 1);
  r->folder = g_strdup (dm_open_project_get_project (self->project)->folder);
  self->job = dm_job_new (read_run, r, (GDestroyNotify)read_free);
  g_signal_connect_swapped (self->job, "finished", G_CALLBACK (on_read), self);
  dm_job_start (self->job);
}

void
dm_history_page_set_project (DmHistoryPage *self, DmOpenProject *project)
{
  g_return_if_fail (DM_IS_HISTORY_PAGE (self));

  if (self->project == project)
    return;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  dm_job_clear (&self->job);
  self->again = FALSE;
  g_set_object (&self->project, project);
  if (project != NULL)
    g_signal_connect_object (project, "changed::audit", G_CALLBACK (reload), self,
                             G_CONNECT_SWAPPED);
  reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

DmOpenProject *
dm_history_page_get_project (DmHistoryPage *self)
{
  return self->project;
}

guint
dm_history_page_get_n_shown (DmHistoryPage *self)
{
  return self->n_shown;
}

gboolean
dm_history_page_is_loading (DmHistoryPage *self)
{
  return self->job != NULL;
}

static void
dm_history_page_dispose (GObject *object)
{
  DmHistoryPage *self = DM_HISTORY_PAGE (object);

  dm_job_clear (&self->job);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  G_OBJECT_CLASS (dm_history_page_parent_class)->dispose (object);
}

static void
dm_history_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT: g_value_set_object (value, DM_HISTORY_PAGE (object)->project); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_history_page_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT:
      dm_history_page_set_project (DM_HISTORY_PAGE (object), g_value_get_object (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_history_page_class_init (DmHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_history_page_dispose;
  object_class->get_property = dm_history_page_get_property;
  object_class->set_property = dm_history_page_set_property;
  properties[PROP_PROJECT]
    = g_param_spec_object ("project", NULL, NULL, DM_TYPE_OPEN_PROJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmHistoryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, DmHistoryPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, DmHistoryPage, list);
}

static void
dm_history_page_init (DmHistoryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
