/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Line page's set-up: the sources of each class and the outputs, as
 * station URIs in the project (dm-project-line.h), the passes kept for
 * Review, the cameras Aravis finds; the page's actions (line.*). The
 * station itself is in dm-line-page-run.c. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-feedback.h"
#include "dm-line-page-private.h"
#include "dm-project-line.h"

G_DEFINE_FINAL_TYPE (DmLinePage, dm_line_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* positions of the kind dropdowns */
enum
{
  SOURCE_FOLDER,
  SOURCE_GST,
  SOURCE_GENICAM,
};

enum
{
  SINK_JSONL,
  SINK_CSV,
  SINK_MQTT,
  SINK_HTTP,
  SINK_MODBUS,
};

static DmProjectLine *
line_of (DmLinePage *self)
{
  return self->project != NULL ? dm_open_project_get_project (self->project)->line : NULL;
}

static void
save_line (DmLinePage *self)
{
  dm_feedback_save (GTK_WIDGET (self), self->project, "line");
}

/* ---- the lists ---- */

static GtkWidget *
list_row (const char *title, const char *subtitle, const char *action, guint index)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 2);
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, _ ("Remove"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (remove), "u", index);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  return row;
}

static GtkWidget *
empty_row (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_set_margin_top (label, 12);
  gtk_widget_set_margin_bottom (label, 12);
  return label;
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
fill_lists (DmLinePage *self)
{
  DmProjectLine *line = line_of (self);
  g_autofree char *journal = NULL;

  clear_list (self->sources_list);
  clear_list (self->sinks_list);
  if (line == NULL)
    return;
  for (guint i = 0; i < line->sources->len; i++)
    {
      const DmLineSource *s = line->sources->pdata[i];

      gtk_list_box_append (self->sources_list,
                           list_row (s->uri, s->class_name, "line.remove-source", i));
    }
  if (line->sources->len == 0)
    gtk_list_box_append (self->sources_list, empty_row (_ ("No source yet")));
  for (guint i = 0; i < line->sinks->len; i++)
    gtk_list_box_append (self->sinks_list,
                         list_row (line->sinks->pdata[i], NULL, "line.remove-sink", i));
  if (line->sinks->len == 0)
    gtk_list_box_append (self->sinks_list, empty_row (_ ("None: results stay in the journal")));
  self->updating = TRUE;
  gtk_spin_button_set_value (self->keep_passes_spin, line->keep_passes);
  self->updating = FALSE;
  journal = dm_project_line_journal (dm_open_project_get_project (self->project));
  adw_action_row_set_subtitle (self->journal_row, journal);
}

static void
fill_classes (DmLinePage *self)
{
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;

  for (guint i = 0; project != NULL && i < project->classes->len; i++)
    gtk_string_list_append (names, ((DmProjectClass *)project->classes->pdata[i])->name);
  gtk_drop_down_set_model (self->source_class_dropdown, G_LIST_MODEL (names));
}

static void
on_line_changed (DmLinePage *self)
{
  fill_lists (self);
  dm_line_page_sync_actions (self);
}

/* ---- adding and removing ---- */

static void
add_source (DmLinePage *self, const char *class_name, const char *uri)
{
  DmProjectLine *line = line_of (self);

  if (line == NULL || class_name == NULL || uri == NULL || uri[0] == '\0')
    return;
  dm_project_line_add_source (line, class_name, uri);
  save_line (self);
}

static void
add_source_action (GtkWidget *widget, const char *name, GVariant *param)
{
  const char *class_name, *uri;

  g_variant_get (param, "(&s&s)", &class_name, &uri);
  add_source (DM_LINE_PAGE (widget), class_name, uri);
}

static char *
source_uri_from_form (DmLinePage *self)
{
  switch (gtk_drop_down_get_selected (self->source_kind_dropdown))
    {
    case SOURCE_FOLDER:
      {
        const char *path = gtk_editable_get_text (GTK_EDITABLE (self->folder_entry));

        if (path[0] == '\0')
          return NULL;
        return g_strdup_printf ("folder:%s%s", path,
                                gtk_check_button_get_active (self->move_check) ? "?move=1" : "");
      }
    case SOURCE_GST:
      {
        const char *pipeline = gtk_editable_get_text (GTK_EDITABLE (self->pipeline_entry));

        return pipeline[0] != '\0' ? g_strdup_printf ("gst:%s", pipeline) : NULL;
      }
    case SOURCE_GENICAM:
    default:
      {
        guint i = gtk_drop_down_get_selected (self->camera_dropdown);
        char rate[G_ASCII_DTOSTR_BUF_SIZE];

        if (self->camera_ids == NULL || i >= g_strv_length (self->camera_ids))
          return NULL;
        g_ascii_formatd (rate, sizeof rate, "%g",
                         gtk_spin_button_get_value (self->camera_rate_spin));
        return g_strdup_printf (
          "genicam:%s?rate=%s%s", self->camera_ids[i], rate,
          gtk_check_button_get_active (self->trigger_check) ? "&trigger=software" : "");
      }
    }
}

static void
add_source_from_form_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmLinePage *self = DM_LINE_PAGE (widget);
  GtkStringObject *item = gtk_drop_down_get_selected_item (self->source_class_dropdown);
  g_autofree char *uri = source_uri_from_form (self);

  if (item == NULL)
    {
      dm_feedback_toast (widget, _ ("Add a class on the Data page first"));
      return;
    }
  if (uri == NULL)
    {
      dm_feedback_toast (widget, _ ("Say where the parts come from first"));
      return;
    }
  add_source (self, gtk_string_object_get_string (item), uri);
}

static void
remove_source_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmLinePage *self = DM_LINE_PAGE (widget);
  DmProjectLine *line = line_of (self);
  guint index = g_variant_get_uint32 (param);

  if (line == NULL || index >= line->sources->len)
    return;
  g_ptr_array_remove_index (line->sources, index);
  save_line (self);
}

static void
add_sink (DmLinePage *self, const char *uri)
{
  DmProjectLine *line = line_of (self);

  if (line == NULL || uri == NULL || uri[0] == '\0')
    return;
  g_ptr_array_add (line->sinks, g_strdup (uri));
  save_line (self);
}

static void
add_sink_action (GtkWidget *widget, const char *name, GVariant *param)
{
  add_sink (DM_LINE_PAGE (widget), g_variant_get_string (param, NULL));
}

static void
add_sink_from_form_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmLinePage *self = DM_LINE_PAGE (widget);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->sink_entry));
  static const char *const prefixes[] = { "jsonl:", "csv:", "mqtt://", "", "modbus://" };
  guint kind = gtk_drop_down_get_selected (self->sink_kind_dropdown);
  g_autofree char *uri = NULL;

  if (text[0] == '\0' || kind >= G_N_ELEMENTS (prefixes))
    {
      dm_feedback_toast (widget, _ ("Say where the results go first"));
      return;
    }
  /* a webhook is its address as it is */
  uri = g_str_has_prefix (text, prefixes[kind]) ? g_strdup (text)
                                                : g_strconcat (prefixes[kind], text, NULL);
  add_sink (self, uri);
  gtk_editable_set_text (GTK_EDITABLE (self->sink_entry), "");
}

static void
remove_sink_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmLinePage *self = DM_LINE_PAGE (widget);
  DmProjectLine *line = line_of (self);
  guint index = g_variant_get_uint32 (param);

  if (line == NULL || index >= line->sinks->len)
    return;
  g_ptr_array_remove_index (line->sinks, index);
  save_line (self);
}

static void
set_keep_passes_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmLinePage *self = DM_LINE_PAGE (widget);
  DmProjectLine *line = line_of (self);

  if (line == NULL || line->keep_passes == g_variant_get_uint32 (param))
    return;
  line->keep_passes = g_variant_get_uint32 (param);
  save_line (self);
}

static void
on_keep_passes_changed (DmLinePage *self)
{
  if (self->updating)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "line.set-keep-passes", "u",
                              (guint)gtk_spin_button_get_value_as_int (self->keep_passes_spin));
}

static void
on_source_kind_changed (DmLinePage *self)
{
  static const char *const pages[] = { "folder", "gst", "genicam" };
  guint kind = gtk_drop_down_get_selected (self->source_kind_dropdown);

  if (kind < G_N_ELEMENTS (pages))
    gtk_stack_set_visible_child_name (self->source_stack, pages[kind]);
  /* the first time cameras are asked for, look for them */
  if (kind == SOURCE_GENICAM && self->camera_ids == NULL && self->cameras_job == NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "line.find-cameras", NULL);
}

static void
on_sink_kind_changed (DmLinePage *self)
{
  const char *hints[] = {
    N_ ("File, e.g. /srv/results/line1.jsonl"),
    N_ ("File, e.g. /srv/results/line1.csv"),
    N_ ("Broker and topic prefix, e.g. 127.0.0.1:1883/line1"),
    N_ ("Address, e.g. http://127.0.0.1:8000/parts"),
    N_ ("PLC and unit, e.g. 192.168.0.10:502/1"),
  };
  guint kind = gtk_drop_down_get_selected (self->sink_kind_dropdown);

  if (kind < G_N_ELEMENTS (hints))
    gtk_entry_set_placeholder_text (self->sink_entry, _ (hints[kind]));
}

/* ---- choosers and cameras ---- */

static void
on_folder_chosen (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  DmLinePage *self = DM_LINE_PAGE (user_data);
  const char *target = g_object_get_data (G_OBJECT (dialog), "target");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL && g_strcmp0 (target, "station") == 0)
        gtk_widget_activate_action (GTK_WIDGET (self), "line.attach", "s", path);
      else if (path != NULL)
        gtk_editable_set_text (GTK_EDITABLE (self->folder_entry), path);
    }
  gtk_native_dialog_destroy (dialog);
  if (self->chooser == dialog)
    g_clear_object (&self->chooser);
}

static void
choose (DmLinePage *self, const char *title, const char *target)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (gtk_file_chooser_native_new (
    title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
    _ ("_Choose"), _ ("_Cancel")));
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  g_object_set_data_full (G_OBJECT (self->chooser), "target", g_strdup (target), g_free);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_folder_chosen), self);
  gtk_native_dialog_show (self->chooser);
}

static void
choose_folder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (DM_LINE_PAGE (widget), _ ("Choose the Hot Folder"), "folder");
}

static void
choose_station_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (DM_LINE_PAGE (widget), _ ("Choose the Station’s Journal Folder"), "station");
}

typedef struct
{
  char **ids, **descriptions;
} Cameras;

static void
cameras_free (Cameras *c)
{
  g_strfreev (c->ids);
  g_strfreev (c->descriptions);
  g_free (c);
}

static gboolean
cameras_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Cameras *c = data;

  dm_station_list_cameras (&c->ids, &c->descriptions);
  return TRUE;
}

static void
on_cameras_found (DmLinePage *self, DmJob *job)
{
  Cameras *c = dm_job_get_data (job);
  g_autoptr (GtkStringList) list = gtk_string_list_new ((const char *const *)c->descriptions);

  g_strfreev (self->camera_ids);
  self->camera_ids = g_steal_pointer (&c->ids);
  if (self->camera_ids[0] == NULL)
    gtk_string_list_append (list, _ ("No camera found"));
  gtk_drop_down_set_model (self->camera_dropdown, G_LIST_MODEL (list));
  dm_job_clear (&self->cameras_job);
}

static void
find_cameras_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmLinePage *self = DM_LINE_PAGE (widget);
  g_autoptr (GtkStringList) looking = gtk_string_list_new (NULL);

  if (self->cameras_job != NULL)
    return;
  gtk_string_list_append (looking, _ ("Looking for cameras…"));
  gtk_drop_down_set_model (self->camera_dropdown, G_LIST_MODEL (looking));
  self->cameras_job = dm_job_new (cameras_run, g_new0 (Cameras, 1), (GDestroyNotify)cameras_free);
  g_signal_connect_swapped (self->cameras_job, "finished", G_CALLBACK (on_cameras_found), self);
  dm_job_start (self->cameras_job);
}

/* ---- running ---- */

static void
start_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_line_page_start (DM_LINE_PAGE (widget));
}

static void
pause_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_line_page_toggle_pause (DM_LINE_PAGE (widget));
}

static void
stop_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_line_page_stop (DM_LINE_PAGE (widget));
}

static void
attach_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_line_page_follow (DM_LINE_PAGE (widget), g_variant_get_string (param, NULL));
}

static void
detach_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_line_page_let_go (DM_LINE_PAGE (widget));
}

/* ---- the project ---- */

static void
on_classes_changed (DmLinePage *self)
{
  fill_classes (self);
}

void
dm_line_page_set_project (DmLinePage *self, DmOpenProject *project)
{
  g_return_if_fail (DM_IS_LINE_PAGE (self));

  if (self->project == project)
    return;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  dm_line_page_run_project_changed (self, TRUE);
  g_set_object (&self->project, project);
  if (project != NULL)
    {
      g_signal_connect_object (project, "changed::line", G_CALLBACK (on_line_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (project, "changed::classes", G_CALLBACK (on_classes_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (project, "changed::model",
                               G_CALLBACK (dm_line_page_run_model_changed), self,
                               G_CONNECT_SWAPPED);
    }
  fill_classes (self);
  fill_lists (self);
  dm_line_page_run_project_changed (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

DmOpenProject *
dm_line_page_get_project (DmLinePage *self)
{
  return self->project;
}

/* ---- GObject ---- */

static void
dm_line_page_dispose (GObject *object)
{
  DmLinePage *self = DM_LINE_PAGE (object);

  dm_line_page_run_dispose (self);
  dm_job_clear (&self->cameras_job);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  g_clear_pointer (&self->camera_ids, g_strfreev);
  /* no gtk_widget_dispose_template: AdwBin unparents its own child */
  G_OBJECT_CLASS (dm_line_page_parent_class)->dispose (object);
}

static void
dm_line_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT: g_value_set_object (value, DM_LINE_PAGE (object)->project); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_line_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT:
      dm_line_page_set_project (DM_LINE_PAGE (object), g_value_get_object (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_line_page_class_init (DmLinePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_line_page_dispose;
  object_class->get_property = dm_line_page_get_property;
  object_class->set_property = dm_line_page_set_property;
  properties[PROP_PROJECT]
    = g_param_spec_object ("project", NULL, NULL, DM_TYPE_OPEN_PROJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-line-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, sources_list);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, source_class_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, source_kind_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, source_stack);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, folder_entry);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, move_check);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, pipeline_entry);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, camera_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, camera_rate_spin);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, trigger_check);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, sinks_list);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, sink_kind_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, sink_entry);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, keep_passes_spin);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, journal_row);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, start_button);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, pause_button);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, state_label);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, error_label);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, latest_picture);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, latest_label);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, figures);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, health_list);
  gtk_widget_class_bind_template_child (widget_class, DmLinePage, strip_box);
  gtk_widget_class_bind_template_callback (widget_class, on_source_kind_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_sink_kind_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_keep_passes_changed);

  /* (class, uri) */
  gtk_widget_class_install_action (widget_class, "line.add-source", "(ss)", add_source_action);
  gtk_widget_class_install_action (widget_class, "line.add-source-from-form", NULL,
                                   add_source_from_form_action);
  gtk_widget_class_install_action (widget_class, "line.remove-source", "u", remove_source_action);
  gtk_widget_class_install_action (widget_class, "line.add-sink", "s", add_sink_action);
  gtk_widget_class_install_action (widget_class, "line.add-sink-from-form", NULL,
                                   add_sink_from_form_action);
  gtk_widget_class_install_action (widget_class, "line.remove-sink", "u", remove_sink_action);
  gtk_widget_class_install_action (widget_class, "line.set-keep-passes", "u",
                                   set_keep_passes_action);
  gtk_widget_class_install_action (widget_class, "line.choose-folder", NULL, choose_folder_action);
  gtk_widget_class_install_action (widget_class, "line.find-cameras", NULL, find_cameras_action);
  gtk_widget_class_install_action (widget_class, "line.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "line.pause", NULL, pause_action);
  gtk_widget_class_install_action (widget_class, "line.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "line.choose-station", NULL,
                                   choose_station_action);
  gtk_widget_class_install_action (widget_class, "line.attach", "s", attach_action);
  gtk_widget_class_install_action (widget_class, "line.detach", NULL, detach_action);
}

static void
dm_line_page_init (DmLinePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  on_sink_kind_changed (self);
  dm_line_page_run_init (self);
}
