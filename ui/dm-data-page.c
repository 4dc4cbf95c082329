/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Data page of a project: its classes and where their images come from. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-data-page.h"

struct _DmDataPage
{
  AdwBin parent_instance;

  GtkStack *stack;
  AdwPreferencesGroup *classes_group;
  AdwPreferencesGroup *problems_group;
  AdwExpanderRow *problems_row;
  GPtrArray *rows;         /* rows added to classes_group */
  GPtrArray *problem_rows; /* rows added to problems_row */
  DmProject *project;      /* borrowed */
};

G_DEFINE_FINAL_TYPE (DmDataPage, dm_data_page, ADW_TYPE_BIN)

static const char *
layout_title (const char *layout)
{
  if (g_strcmp0 (layout, "mvtec") == 0)
    return _ ("MVTec AD layout");
  if (g_strcmp0 (layout, "visa") == 0)
    return _ ("VisA split file");
  return _ ("Folder of normal images");
}

static GtkWidget *
class_row_new (const DmProjectClass *c)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *source = g_filename_display_name (c->source != NULL ? c->source : "");
  g_autofree char *subtitle = g_strdup_printf ("%s · %s", layout_title (c->layout), source);
  g_autofree char *tooltip = g_strdup_printf (_ ("Remove the class “%s”"), c->name);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), c->name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  g_object_set_data_full (G_OBJECT (row), "source-line", g_steal_pointer (&subtitle), g_free);
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                  -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), "win.remove-class");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (remove), g_variant_new_string (c->name));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  return row;
}

static void
clear_problems (DmDataPage *self)
{
  for (guint i = 0; i < self->problem_rows->len; i++)
    adw_expander_row_remove (self->problems_row, g_ptr_array_index (self->problem_rows, i));
  g_ptr_array_set_size (self->problem_rows, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->problems_group), FALSE);
}

static void
add_problem (DmDataPage *self, const char *title, const char *message)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), message);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 4);
  adw_expander_row_add_row (self->problems_row, row);
  g_ptr_array_add (self->problem_rows, row);
}

void
dm_data_page_show_dataset (DmDataPage *self, const DmDataset *dataset, GPtrArray *class_errors)
{
  guint n_problems;

  clear_problems (self);
  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, i);
      const char *source = g_object_get_data (G_OBJECT (row), "source-line");
      const char *name = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));
      int k = dataset != NULL ? dm_dataset_find_class (dataset, name) : -1;
      g_autofree char *subtitle = NULL;

      if (dataset == NULL)
        subtitle = g_strdup_printf ("%s\n%s", source, _ ("Counting images…"));
      else if (k < 0)
        subtitle = g_strdup_printf ("%s\n%s", source, _ ("No images found"));
      else
        {
          const DmDatasetClass *c = &dataset->classes[k];
          g_autofree char *train
            = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u good part for training",
                                            "%u good parts for training", c->n_train),
                               c->n_train);
          g_autofree char *held = g_strdup_printf (
            g_dngettext (GETTEXT_PACKAGE, "%u held out", "%u held out", c->n_holdout),
            c->n_holdout);
          g_autofree char *test = g_strdup_printf (_ ("test: %u good, %u defective, %u masks"),
                                                   c->n_test_good, c->n_test_defect, c->n_masks);

          subtitle = g_strdup_printf ("%s\n%s (%s) · %s", source, train, held, test);
        }
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
    }
  if (dataset == NULL)
    return;

  for (guint i = 0; class_errors != NULL && i < class_errors->len; i++)
    add_problem (self, _ ("Class not loaded"), g_ptr_array_index (class_errors, i));
  for (guint i = 0; i < dataset->n_problems; i++)
    {
      const DmDatasetProblem *problem = &dataset->problems[i];
      g_autofree char *base = g_path_get_basename (problem->path);

      add_problem (self, base, problem->message);
    }
  n_problems = self->problem_rows->len;
  if (n_problems > 0)
    {
      g_autofree char *title
        = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u problem with the data",
                                        "%u problems with the data", n_problems),
                           n_problems);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->problems_row), title);
      gtk_widget_set_visible (GTK_WIDGET (self->problems_group), TRUE);
    }
}

void
dm_data_page_show_project (DmDataPage *self, DmProject *project)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->classes_group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  if (project != NULL)
    for (guint i = 0; i < project->classes->len; i++)
      {
        GtkWidget *row = class_row_new (g_ptr_array_index (project->classes, i));

        adw_preferences_group_add (self->classes_group, row);
        g_ptr_array_add (self->rows, row);
      }
  gtk_stack_set_visible_child_name (self->stack, self->rows->len > 0 ? "classes" : "empty");
  self->project = project;
  dm_data_page_show_dataset (self, NULL, NULL);
}

static void
dm_data_page_dispose (GObject *object)
{
  DmDataPage *self = DM_DATA_PAGE (object);

  /* No gtk_widget_dispose_template: the bound stack is the bin's own child,
   * which AdwBin unparents itself (doing both unparents it twice). */
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->problem_rows, g_ptr_array_unref);
  G_OBJECT_CLASS (dm_data_page_parent_class)->dispose (object);
}

static void
dm_data_page_class_init (DmDataPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_data_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-data-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, stack);
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, classes_group);
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, problems_group);
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, problems_row);
}

static void
dm_data_page_init (DmDataPage *self)
{
  self->rows = g_ptr_array_new ();
  self->problem_rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}
