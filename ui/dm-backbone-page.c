/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Backbone page: the DINOv2 file, what it is (family, size, naming
 * scheme) and where such files come from, or random weights of a size. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-backbone-check.h"
#include "dm-backbone-page.h"
#include "dm-feedback.h"
#include "dm-job.h"

struct _DmBackbonePage
{
  AdwBin parent_instance;

  AdwActionRow *file_row;
  AdwActionRow *found_row;
  GtkImage *found_icon;
  GtkSpinner *spinner;
  AdwActionRow *source_row;
  AdwActionRow *random_row;
  GtkSwitch *random_switch;
  AdwComboRow *random_arch_row;

  DmOpenProject *project; /* the open project, or NULL */
  DmJob *check_job;       /* the file shown, checked in the background */
  char *checked;          /* its path */
  gboolean updating;      /* set while the switch is set from the project */
};

G_DEFINE_FINAL_TYPE (DmBackbonePage, dm_backbone_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_found (
  DmBackbonePage *self, const char *title, const char *subtitle, const char *icon, gboolean error)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->found_row), title);
  adw_action_row_set_subtitle (self->found_row, subtitle != NULL ? subtitle : "");
  gtk_image_set_from_icon_name (self->found_icon, icon);
  gtk_widget_set_visible (GTK_WIDGET (self->found_icon), icon != NULL);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->found_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->found_row), "error");
}

/* The random backbones offered, in the order of the size row. */
static const char *const random_archs[] = { "small", "base", "large" };

/* Where the official files of a family come from; every family's when
 * config is NULL or a shape Meta did not release. */
static void
set_source (DmBackbonePage *self, const DmVitConfig *config)
{
  DmBackboneOfficial o;
  g_autofree char *text = NULL;

  if (config != NULL && dm_backbone_official (config, &o))
    text = g_strdup_printf (_ ("Meta's %s (%s), %s on Hugging Face, or timm's %s: the same "
                               "weights under three naming schemes, all read here"),
                            o.pth, DM_BACKBONE_META_REPO, o.hf, o.timm);
  else
    text = g_strdup_printf (
      _ ("Meta's dinov2_vit{s,b,l}14_pretrain.pth and dinov2_vit{s,b,l}14_reg4_pretrain.pth (%s), "
         "facebook/dinov2-{small,base,large} and facebook/dinov2-with-registers-{small,base,large} "
         "on Hugging Face, or timm's vit_{small,base,large}_patch14_dinov2 and "
         "vit_{small,base,large}_patch14_reg4_dinov2"),
      DM_BACKBONE_META_REPO);
  adw_action_row_set_subtitle (self->source_row, text);
}

typedef struct
{
  char *path;
  DmBackboneCheck check;
} Check;

static void
check_free (Check *c)
{
  dm_backbone_check_clear (&c->check);
  g_free (c->path);
  g_free (c);
}

static gboolean
check_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Check *c = data;

  return dm_backbone_check (c->path, &c->check, error);
}

static void
on_check_done (DmBackbonePage *self, DmJob *job)
{
  DmBackboneCheck *check = &((Check *)dm_job_get_data (job))->check;
  DmProject *project = dm_open_project_get_project (self->project);

  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  if (dm_job_get_state (job) != DM_JOB_SUCCEEDED)
    {
      set_found (self, _ ("This file cannot be used"), dm_job_get_error (job)->message,
                 "dialog-error-symbolic", TRUE);
      return;
    }
  {
    const DmVitConfig *c = &check->probe.config;
    g_autofree char *arch = dm_backbone_arch_name (c);
    g_autofree char *size = g_format_size (check->file_size);
    g_autofree char *title
      = c->n_registers > 0
          ? g_strdup_printf (_ ("%s, DINOv2 with %d registers, %d blocks"), arch, c->n_registers,
                             c->depth)
          : g_strdup_printf (_ ("%s, DINOv2 without registers, %d blocks"), arch, c->depth);
    g_autofree char *subtitle = g_strdup_printf (
      _ ("%.1f million parameters · %s · %s names · SHA-256 %.12s…"), check->probe.n_params / 1e6,
      size, dm_vit_scheme_description (check->probe.scheme, c->n_registers), check->sha256);

    set_found (self, title, subtitle, "emblem-ok-symbolic", FALSE);
    set_source (self, c);
  }
  /* remember the checksum: the model file records which backbone it used */
  if (g_strcmp0 (project->backbone_path, check->path) == 0
      && g_strcmp0 (project->backbone_sha256, check->sha256) != 0)
    {
      g_free (project->backbone_sha256);
      project->backbone_sha256 = g_strdup (check->sha256);
      dm_feedback_save (GTK_WIDGET (self), self->project, "backbone");
    }
}

static void
start_check (DmBackbonePage *self, const char *path)
{
  Check *c = g_new0 (Check, 1);

  c->path = g_strdup (path);
  g_free (self->checked);
  self->checked = g_strdup (path);
  dm_job_clear (&self->check_job);
  self->check_job = dm_job_new (check_run, c, (GDestroyNotify)check_free);
  g_signal_connect_swapped (self->check_job, "finished", G_CALLBACK (on_check_done), self);
  set_found (self, _ ("Checking the file…"), NULL, NULL, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
  gtk_spinner_start (self->spinner);
  dm_job_start (self->check_job);
}

/* The project's backbone choice; a file not checked yet is checked. */
static void
show_backbone (DmBackbonePage *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
  gboolean random;
  const char *path;

  random = project != NULL && g_strcmp0 (project->backbone_kind, "random") == 0;
  path = project != NULL && g_strcmp0 (project->backbone_kind, "file") == 0 ? project->backbone_path
                                                                            : NULL;
  self->updating = TRUE;
  gtk_switch_set_active (self->random_switch, random);
  for (guint i = 0; i < G_N_ELEMENTS (random_archs); i++)
    if (project != NULL && g_strcmp0 (project->backbone_arch, random_archs[i]) == 0)
      adw_combo_row_set_selected (self->random_arch_row, i);
  gtk_widget_set_sensitive (GTK_WIDGET (self->random_arch_row), random);
  self->updating = FALSE;

  if (path != NULL)
    {
      g_autofree char *display = g_filename_display_name (path);
      adw_action_row_set_subtitle (self->file_row, display);
    }
  else
    adw_action_row_set_subtitle (self->file_row, _ ("None chosen"));

  /* the file shown, or being checked: its checksum, just saved, changes nothing */
  if (path != NULL && g_strcmp0 (path, self->checked) == 0)
    return;
  dm_job_clear (&self->check_job);
  g_clear_pointer (&self->checked, g_free);
  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  set_source (self, NULL);
  if (random)
    set_found (self, _ ("Random weights, for trying only"),
               _ ("Scores and heatmaps mean little: this backbone has learnt nothing. Use it to "
                  "try the workflow, not to inspect parts."),
               "dialog-warning-symbolic", FALSE);
  else if (path != NULL)
    start_check (self, path);
  else
    set_found (self, _ ("No backbone yet"),
               _ ("Dinomaly builds on a DINOv2 vision transformer, ViT-S, ViT-B or ViT-L, with "
                  "registers (dinov2_vitb14_reg4, the paper's) or without (dinov2_vitb14). "
                  "Download one as a .safetensors or .pth file (the HuggingFace, timm and "
                  "original names are all read) and choose it here, or switch on random weights "
                  "to try the workflow."),
               NULL, FALSE);
}

void
dm_backbone_page_set_project (DmBackbonePage *self, DmOpenProject *project)
{
  g_return_if_fail (DM_IS_BACKBONE_PAGE (self));

  if (self->project == project && project != NULL)
    return;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_set_object (&self->project, project);
  /* another project: its file is checked anew */
  g_clear_pointer (&self->checked, g_free);
  if (project != NULL)
    g_signal_connect_object (project, "changed::backbone", G_CALLBACK (show_backbone), self,
                             G_CONNECT_SWAPPED);
  show_backbone (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

DmOpenProject *
dm_backbone_page_get_project (DmBackbonePage *self)
{
  return self->project;
}

gboolean
dm_backbone_page_is_checking (DmBackbonePage *self)
{
  return self->check_job != NULL && dm_job_is_running (self->check_job);
}

static void
on_random_switched (DmBackbonePage *self)
{
  gboolean active = gtk_switch_get_active (self->random_switch);

  if (self->updating)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.use-random-backbone", "b", active);
}

static void
on_random_arch_selected (DmBackbonePage *self)
{
  guint i = adw_combo_row_get_selected (self->random_arch_row);

  if (self->updating || i >= G_N_ELEMENTS (random_archs))
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.set-random-backbone-arch", "s",
                              random_archs[i]);
}

static void
dm_backbone_page_dispose (GObject *object)
{
  DmBackbonePage *self = DM_BACKBONE_PAGE (object);

  dm_job_clear (&self->check_job);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  g_clear_pointer (&self->checked, g_free);
  G_OBJECT_CLASS (dm_backbone_page_parent_class)->dispose (object);
}

static void
dm_backbone_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT: g_value_set_object (value, DM_BACKBONE_PAGE (object)->project); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_backbone_page_set_property (GObject *object,
                               guint prop_id,
                               const GValue *value,
                               GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT:
      dm_backbone_page_set_project (DM_BACKBONE_PAGE (object), g_value_get_object (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_backbone_page_class_init (DmBackbonePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_backbone_page_dispose;
  object_class->get_property = dm_backbone_page_get_property;
  object_class->set_property = dm_backbone_page_set_property;
  properties[PROP_PROJECT]
    = g_param_spec_object ("project", NULL, NULL, DM_TYPE_OPEN_PROJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-backbone-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, file_row);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, found_row);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, found_icon);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, source_row);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, random_row);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, random_switch);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, random_arch_row);
  gtk_widget_class_bind_template_callback (widget_class, on_random_switched);
  gtk_widget_class_bind_template_callback (widget_class, on_random_arch_selected);
}

static void
dm_backbone_page_init (DmBackbonePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  dm_backbone_page_set_project (self, NULL);
}
