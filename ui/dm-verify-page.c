/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The To Verify page (dm-verify-page.h): the feedback store read and its
 * pictures made in a DmJob (dm-line-render.h draws the heatmaps), the
 * verdicts and additions as actions verify.*. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-feedback.h"
#include "dm-job.h"
#include "dm-line-render.h"
#include "dm-model-file.h"
#include "dm-project-audit.h"
#include "dm-project-feedback.h"
#include "dm-project-versions.h"
#include "dm-verify-page.h"

/* the parts shown at once (the rest wait their turn) */
#define MAX_SHOWN 60
#define PICTURE_SIZE 200
#define MAP_SIZE 256

struct _DmVerifyPage
{
  AdwBin parent_instance;

  GtkStack *stack;
  GtkLabel *summary_label;
  GtkButton *train_button;
  GtkFlowBox *parts_box;

  DmOpenProject *project;
  DmJob *job;
  gboolean again;
  DmFeedbackStore *store;
  GPtrArray *ids; /* char*: the parts shown, NULL-terminated */
  guint n_new;
};

G_DEFINE_FINAL_TYPE (DmVerifyPage, dm_verify_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- read off the main thread ---- */

typedef struct
{
  DmFeedbackPart *part; /* the store's */
  double priority;
  DmLinePicture *picture; /* or NULL */
} Shown;

typedef struct
{
  char *folder;
  char *model_path; /* the active model, for the heatmaps' geometry; or NULL */
  gint64 since_us;  /* the newest version's training */
  DmFeedbackStore *store;
  GArray *shown; /* Shown, the order of the page */
  guint n_new;
} Read;

static void
read_free (Read *r)
{
  for (guint i = 0; r->shown != NULL && i < r->shown->len; i++)
    g_clear_pointer (&g_array_index (r->shown, Shown, i).picture, dm_line_picture_free);
  g_clear_pointer (&r->shown, g_array_unref);
  g_clear_pointer (&r->store, dm_feedback_store_free);
  g_free (r->folder);
  g_free (r->model_path);
  g_free (r);
}

static int
by_priority (gconstpointer a, gconstpointer b)
{
  const Shown *x = a, *y = b;
  gboolean x_done = x->part->added != DM_FEEDBACK_NOT_ADDED;
  gboolean y_done = y->part->added != DM_FEEDBACK_NOT_ADDED;

  if (x_done != y_done)
    return x_done - y_done;
  return x->priority < y->priority ? -1 : x->priority > y->priority;
}

/* The spread of the class's scores among the parts: the unit of distance
 * to a threshold. */
static double
class_scale (DmFeedbackStore *store, const char *class_name)
{
  float lo = INFINITY, hi = -INFINITY;

  for (guint i = 0; i < store->parts->len; i++)
    {
      const DmFeedbackPart *p = store->parts->pdata[i];

      if (g_strcmp0 (p->class_name, class_name) == 0 && isfinite (p->score))
        lo = MIN (lo, p->score), hi = MAX (hi, p->score);
    }
  return hi > lo ? hi - lo : 1.0;
}

static DmLinePicture *
render (const DmFeedbackPart *p, int resize, int crop)
{
  g_autoptr (DmImage) map = dm_image_load (p->map, 0, NULL);
  g_autofree char *bytes = NULL;
  gsize n;
  DmLineItem item = { 0 };
  DmLinePicture *picture;

  if (!g_file_get_contents (p->image, &bytes, &n, NULL))
    return NULL;
  item.part = dm_part_new ();
  item.part->id = g_strdup (p->id);
  item.part->class_name = g_strdup (p->class_name);
  item.part->score = p->score;
  item.part->decision = p->decision;
  if (map != NULL && map->type == DM_PIXEL_F32 && map->width == MAP_SIZE && map->height == MAP_SIZE
      && map->channels == 1)
    item.map = (float *)map->data;
  item.bytes = g_bytes_new_take (g_steal_pointer (&bytes), n);
  picture = dm_line_render (&item, resize, crop, NAN, PICTURE_SIZE, NULL);
  dm_part_free (item.part);
  g_bytes_unref (item.bytes);
  return picture;
}

static gboolean
read_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Read *r = data;
  g_autoptr (DmModelFile) model = NULL;
  int resize = 448, crop = 392;

  r->store = dm_feedback_store_load (r->folder, error);
  if (r->store == NULL)
    return FALSE;
  model = r->model_path != NULL ? dm_model_file_open (r->model_path, NULL) : NULL;
  if (model != NULL)
    {
      resize = model->info->resize;
      crop = model->info->crop;
    }
  r->n_new = dm_feedback_store_count_added (r->store, r->since_us);
  r->shown = g_array_new (FALSE, TRUE, sizeof (Shown));
  for (guint i = 0; i < r->store->parts->len; i++)
    {
      DmFeedbackPart *p = r->store->parts->pdata[i];
      Shown s
        = { p, dm_label_priority (&p->thresholds, p->score, class_scale (r->store, p->class_name)),
            NULL };

      g_array_append_val (r->shown, s);
    }
  g_array_sort (r->shown, by_priority);
  if (r->shown->len > MAX_SHOWN)
    g_array_set_size (r->shown, MAX_SHOWN);
  for (guint i = 0; i < r->shown->len; i++)
    {
      Shown *s = &g_array_index (r->shown, Shown, i);

      if (g_cancellable_is_cancelled (cancellable))
        break;
      s->picture = render (s->part, resize, crop);
    }
  return TRUE;
}

/* ---- the cards ---- */

static DmProject *
project_of (DmVerifyPage *self)
{
  return self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
}

static GtkWidget *
verdict_button (const char *label, const char *id, const char *verdict, gboolean active)
{
  GtkWidget *button = gtk_toggle_button_new_with_mnemonic (label);

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (button), active);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "verify.label");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "(ss)", id, active ? "none" : verdict);
  gtk_widget_set_hexpand (button, TRUE);
  return button;
}

static GtkWidget *
part_card (DmVerifyPage *self, const Shown *s)
{
  const DmFeedbackPart *p = s->part;
  DmUserLabel label = dm_project_get_label (project_of (self), p->image);
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *verdicts = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *add;
  g_autofree char *text = g_strdup_printf ("%s %.4f", dm_decision_name (p->decision), p->score);
  /* TRANSLATORS: a line part: its id, class and the model version that decided */
  g_autofree char *what
    = g_strdup_printf (_ ("%s (%s), version %u"), p->id, p->class_name, p->model_version);
  GtkWidget *badge = gtk_label_new (text);
  GtkWidget *caption = gtk_label_new (what);

  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "verify-card");
  gtk_widget_set_size_request (picture, PICTURE_SIZE, PICTURE_SIZE);
  if (s->picture != NULL)
    {
      g_autoptr (GdkTexture) texture = dm_line_picture_texture (s->picture);

      gtk_picture_set_paintable (GTK_PICTURE (picture), GDK_PAINTABLE (texture));
    }
  gtk_widget_add_css_class (badge, "review-badge");
  gtk_widget_add_css_class (badge, dm_decision_name (p->decision));
  gtk_widget_set_halign (badge, GTK_ALIGN_START);
  gtk_label_set_ellipsize (GTK_LABEL (caption), PANGO_ELLIPSIZE_MIDDLE);
  /* the card as wide as its picture: the id is cut in the middle */
  gtk_label_set_max_width_chars (GTK_LABEL (caption), 20);
  gtk_widget_set_tooltip_text (caption, what);
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_widget_add_css_class (caption, "caption");
  gtk_widget_add_css_class (caption, "dim-label");
  gtk_widget_add_css_class (verdicts, "linked");
  gtk_box_append (GTK_BOX (verdicts),
                  verdict_button (_ ("_Good"), p->id, "good", label == DM_USER_LABEL_GOOD));
  gtk_box_append (GTK_BOX (verdicts),
                  verdict_button (_ ("_Defect"), p->id, "defect", label == DM_USER_LABEL_DEFECT));
  if (p->added != DM_FEEDBACK_NOT_ADDED)
    {
      add = gtk_button_new_with_mnemonic (p->added == DM_FEEDBACK_ADDED_GOOD
                                            ? _ ("In Training · _Take Out")
                                            : _ ("In Test Set · _Take Out"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (add), "verify.remove");
    }
  else
    {
      add = gtk_button_new_with_mnemonic (_ ("_Add to Class"));
      gtk_widget_set_sensitive (add, label != DM_USER_LABEL_NONE);
      gtk_widget_set_tooltip_text (add, label != DM_USER_LABEL_NONE
                                          ? _ ("Good parts join the training images of the "
                                               "next version, defects the test images")
                                          : _ ("Say good or defect first"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (add), "verify.add");
    }
  gtk_actionable_set_action_target (GTK_ACTIONABLE (add), "s", p->id);
  gtk_box_append (GTK_BOX (card), picture);
  gtk_box_append (GTK_BOX (card), badge);
  gtk_box_append (GTK_BOX (card), caption);
  gtk_box_append (GTK_BOX (card), verdicts);
  gtk_box_append (GTK_BOX (card), add);
  return card;
}

static void reload (DmVerifyPage *self);

static void
on_read (DmVerifyPage *self, DmJob *job)
{
  Read *r = dm_job_get_data (job);
  const GError *error = dm_job_get_error (job);
  GtkWidget *child;
  g_autofree char *summary = NULL, *train = NULL;
  guint n_open = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->parts_box))) != NULL)
    gtk_flow_box_remove (self->parts_box, child);
  g_ptr_array_set_size (self->ids, 0);
  g_clear_pointer (&self->store, dm_feedback_store_free);
  if (error == NULL)
    {
      self->store = g_steal_pointer (&r->store);
      self->n_new = r->n_new;
      for (guint i = 0; i < r->shown->len; i++)
        {
          const Shown *s = &g_array_index (r->shown, Shown, i);

          gtk_flow_box_append (self->parts_box, part_card (self, s));
          g_ptr_array_add (self->ids, g_strdup (s->part->id));
        }
      for (guint i = 0; i < self->store->parts->len; i++)
        n_open += ((DmFeedbackPart *)self->store->parts->pdata[i])->added == DM_FEEDBACK_NOT_ADDED;
      summary = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE,
                     "%u part from the line waits for a verdict, the one that matters most first",
                     "%u parts from the line wait for a verdict, those that matter most first",
                     n_open),
        n_open);
    }
  else
    summary = g_strdup (error->message);
  gtk_label_set_label (self->summary_label, summary);
  train = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "_Train a New Version with %u New Part",
                                        "_Train a New Version with %u New Parts", self->n_new),
                           self->n_new);
  gtk_button_set_label (self->train_button, train);
  gtk_widget_set_visible (GTK_WIDGET (self->train_button), self->n_new > 0);
  gtk_stack_set_visible_child_name (
    self->stack, error == NULL && self->store->parts->len == 0 ? "empty" : "parts");
  dm_job_clear (&self->job);
  if (self->again)
    {
      self->again = FALSE;
      reload (self);
    }
}

/* The newest version's training time: parts added after it are new. */
static gint64
newest_version_us (DmProject *p)
{
  const DmProjectVersion *v
    = p->versions->len > 0 ? p->versions->pdata[p->versions->len - 1] : NULL;
  g_autoptr (GDateTime) t
    = v != NULL && v->created != NULL ? g_date_time_new_from_iso8601 (v->created, NULL) : NULL;

  return t != NULL ? g_date_time_to_unix (t) * G_USEC_PER_SEC + g_date_time_get_microsecond (t) : 0;
}

static void
reload (DmVerifyPage *self)
{
  DmProject *p = project_of (self);
  Read *r;

  if (self->job != NULL)
    {
      self->again = TRUE;
      return;
    }
  if (p == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  r = g_new0 (Read, 1);
  r->folder = g_strdup (p->folder);
  r->model_path = p->model != NULL ? g_build_filename (p->folder, p->model, NULL) : NULL;
  r->since_us = newest_version_us (p);
  self->job = dm_job_new (read_run, r, (GDestroyNotify)read_free);
  g_signal_connect_swapped (self->job, "finished", G_CALLBACK (on_read), self);
  dm_job_start (self->job);
}

/* ---- verdicts and additions ---- */

static void
audit (DmVerifyPage *self,
       const char *action,
       const char *target,
       const char *value,
       const char *previous)
{
  g_autoptr (GError) error = NULL;

  if (!dm_open_project_audit (self->project, action, target, value, previous, &error))
    g_warning ("%s", error->message);
}

static const char *
label_name (DmUserLabel label)
{
  return label == DM_USER_LABEL_GOOD ? "good" : label == DM_USER_LABEL_DEFECT ? "defect" : "none";
}

static void
label_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmVerifyPage *self = DM_VERIFY_PAGE (widget);
  DmProject *p = project_of (self);
  const char *id, *verdict;
  DmFeedbackPart *part;
  DmUserLabel before, after;

  g_variant_get (param, "(&s&s)", &id, &verdict);
  if (p == NULL || self->store == NULL || (part = dm_feedback_store_find (self->store, id)) == NULL)
    return;
  after = g_str_equal (verdict, "good")     ? DM_USER_LABEL_GOOD
          : g_str_equal (verdict, "defect") ? DM_USER_LABEL_DEFECT
                                            : DM_USER_LABEL_NONE;
  before = dm_project_get_label (p, part->image);
  if (before == after)
    return;
  dm_project_set_label (p, part->image, after);
  dm_feedback_save (widget, self->project, "review");
  audit (self, DM_AUDIT_LABEL, part->image, label_name (after), label_name (before));
  reload (self);
}

static void
add_or_remove (DmVerifyPage *self, const char *id, gboolean add)
{
  DmProject *p = project_of (self);
  g_autoptr (GError) error = NULL;
  DmFeedbackPart *part;
  DmUserLabel label;
  gboolean ok;

  if (p == NULL || self->store == NULL || (part = dm_feedback_store_find (self->store, id)) == NULL)
    return;
  label = dm_project_get_label (p, part->image);
  if (add && label == DM_USER_LABEL_NONE)
    return;
  ok = add ? dm_feedback_add_part (p->folder, id, label == DM_USER_LABEL_DEFECT, &error)
           : dm_feedback_remove_part (p->folder, id, &error);
  if (!ok)
    {
      dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Change the Class"), error);
      return;
    }
  audit (self, DM_AUDIT_ADD_PART, part->image, add ? label_name (label) : "none",
         add ? "none" : label_name (label));
  /* the Data page counts the class's images anew */
  dm_open_project_changed (self->project, "feedback");
}

static void
add_action (GtkWidget *widget, const char *name, GVariant *param)
{
  add_or_remove (DM_VERIFY_PAGE (widget), g_variant_get_string (param, NULL), TRUE);
}

static void
remove_action (GtkWidget *widget, const char *name, GVariant *param)
{
  add_or_remove (DM_VERIFY_PAGE (widget), g_variant_get_string (param, NULL), FALSE);
}

/* ---- the project ---- */

void
dm_verify_page_set_project (DmVerifyPage *self, DmOpenProject *project)
{
  g_return_if_fail (DM_IS_VERIFY_PAGE (self));

  if (self->project == project)
    return;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  dm_job_clear (&self->job);
  self->again = FALSE;
  g_clear_pointer (&self->store, dm_feedback_store_free);
  g_set_object (&self->project, project);
  if (project != NULL)
    {
      static const char *const parts[]
        = { "changed::feedback", "changed::model", "changed::versions" };

      for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
        g_signal_connect_object (project, parts[i], G_CALLBACK (reload), self, G_CONNECT_SWAPPED);
    }
  reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

DmOpenProject *
dm_verify_page_get_project (DmVerifyPage *self)
{
  return self->project;
}

gboolean
dm_verify_page_is_loading (DmVerifyPage *self)
{
  return self->job != NULL;
}

const char *const *
dm_verify_page_get_ids (DmVerifyPage *self)
{
  return (const char *const *)self->ids->pdata;
}

guint
dm_verify_page_get_n_new (DmVerifyPage *self)
{
  return self->n_new;
}

/* ---- GObject ---- */

static void
dm_verify_page_dispose (GObject *object)
{
  DmVerifyPage *self = DM_VERIFY_PAGE (object);

  dm_job_clear (&self->job);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  g_clear_pointer (&self->store, dm_feedback_store_free);
  g_clear_pointer (&self->ids, g_ptr_array_unref);
  G_OBJECT_CLASS (dm_verify_page_parent_class)->dispose (object);
}

static void
dm_verify_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT: g_value_set_object (value, DM_VERIFY_PAGE (object)->project); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_verify_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT:
      dm_verify_page_set_project (DM_VERIFY_PAGE (object), g_value_get_object (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_verify_page_class_init (DmVerifyPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_verify_page_dispose;
  object_class->get_property = dm_verify_page_get_property;
  object_class->set_property = dm_verify_page_set_property;
  properties[PROP_PROJECT]
    = g_param_spec_object ("project", NULL, NULL, DM_TYPE_OPEN_PROJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-verify-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmVerifyPage, stack);
  gtk_widget_class_bind_template_child (widget_class, DmVerifyPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, DmVerifyPage, train_button);
  gtk_widget_class_bind_template_child (widget_class, DmVerifyPage, parts_box);

  /* (part id, "good" | "defect" | "none") */
  gtk_widget_class_install_action (widget_class, "verify.label", "(ss)", label_action);
  gtk_widget_class_install_action (widget_class, "verify.add", "s", add_action);
  gtk_widget_class_install_action (widget_class, "verify.remove", "s", remove_action);
}

static void
dm_verify_page_init (DmVerifyPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->ids = g_ptr_array_new_null_terminated (0, g_free, TRUE);
}
