/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Line page's live view: what the station's committer hands over
 * (DmLineLive), the figures, the health of every source and output, the
 * errors in words, and the latest part and the strip of rejects with their
 * heatmaps, drawn in a DmJob. The main thread only copies and sets words
 * and pictures on widgets made once. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "dm-line-page-private.h"

/* the latest part is taken at most this often (the live view's rate) */
#define LATEST_EVERY_US (100 * G_TIME_SPAN_MILLISECOND)
#define LATEST_SIZE 320
#define STRIP_SIZE 112

enum
{
  FIGURE_PASS,
  FIGURE_UNCERTAIN,
  FIGURE_FAIL,
  FIGURE_ERROR,
  FIGURE_RATE,
  FIGURE_LATENCY,
  FIGURE_QUEUE,
  FIGURE_LAST,
};

/* ---- what the committer hands over ---- */

DmLineLive *
dm_line_live_new (void)
{
  DmLineLive *live = g_atomic_rc_box_new0 (DmLineLive);

  g_mutex_init (&live->lock);
  g_queue_init (&live->strip);
  return live;
}

DmLineLive *
dm_line_live_ref (DmLineLive *live)
{
  return g_atomic_rc_box_acquire (live);
}

static void
live_clear (gpointer data)
{
  DmLineLive *live = data;

  g_clear_pointer (&live->latest, dm_line_item_free);
  g_queue_clear_full (&live->strip, (GDestroyNotify)dm_line_item_free);
  g_free (live->last_error);
  g_mutex_clear (&live->lock);
}

void
dm_line_live_unref (DmLineLive *live)
{
  g_atomic_rc_box_release_full (live, live_clear);
}

void
dm_line_live_push (DmLineLive *live, DmLineItem *item)
{
  const DmPart *p = item->part;
  gboolean strip = !p->is_error && p->decision != DM_DECISION_PASS;

  g_mutex_lock (&live->lock);
  live->n_parts++;
  if (p->is_error)
    {
      g_free (live->last_error);
      live->last_error = g_strdup_printf ("%s: %s", p->id, p->reason != NULL ? p->reason : "");
    }
  if (strip)
    {
      g_queue_push_tail (&live->strip, dm_line_item_new (p, item->map, item->bytes, item->frame));
      while (g_queue_get_length (&live->strip) > DM_LINE_STRIP_MAX)
        dm_line_item_free (g_queue_pop_head (&live->strip));
    }
  g_clear_pointer (&live->latest, dm_line_item_free);
  live->latest = item;
  g_mutex_unlock (&live->lock);
}

/* The committer thread: a copy, when the live view wants one. */
void
dm_line_live_on_part (
  const DmPart *part, const float *map, GBytes *bytes, const DmImage *frame, gpointer data)
{
  DmLineLive *live = data;
  gint64 now = g_get_monotonic_time ();
  gboolean take;

  g_mutex_lock (&live->lock);
  take = part->is_error || part->decision != DM_DECISION_PASS
         || now - live->latest_taken_us >= LATEST_EVERY_US;
  if (take)
    live->latest_taken_us = now;
  else
    live->n_parts++;
  g_mutex_unlock (&live->lock);
  if (take)
    dm_line_live_push (live, dm_line_item_new (part, map, bytes, frame));
}

/* ---- the figures ---- */

static void
set_figure (DmLinePage *self, int which, const char *text)
{
  gtk_label_set_label (self->figure_values[which], text);
}

static char *
health_subtitle (const char *state, guint64 backlog)
{
  g_autofree char *n = NULL;

  if (backlog == 0)
    return g_strdup (state != NULL ? state : "");
  n = g_strdup_printf ("%" G_GUINT64_FORMAT, backlog);
  /* TRANSLATORS: an output's state, then how many records wait for it */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s — %s record waiting",
                                       "%s — %s records waiting",
                                       (gulong)MIN (backlog, G_MAXULONG)),
                          state != NULL ? state : "", n);
}

static GtkWidget *
health_row (const char *title, gboolean bad)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (bad)
    {
      GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");

      gtk_widget_add_css_class (icon, "error");
      gtk_widget_add_css_class (row, "line-unhealthy");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
    }
  return row;
}

static gboolean
is_trouble (const char *state)
{
  return state != NULL
         && (g_str_has_prefix (state, "down") || g_str_has_prefix (state, "reconnecting")
             || g_str_has_prefix (state, "restarting") || g_str_has_prefix (state, "error")
             || g_str_has_prefix (state, "failed"));
}

/* One row per source and output, made again only when one comes or goes or
 * its health turns; otherwise only their words change (twice a second,
 * while the window draws). */
static void
show_health (DmLinePage *self)
{
  const DmStationStatus *s = &self->status;
  g_autoptr (GString) shape = g_string_new (NULL);
  GtkWidget *row;
  guint i = 0;

  for (guint k = 0; k < s->n_sources; k++)
    g_string_append_printf (shape, "%s%c\n", s->sources[k].uri,
                            is_trouble (s->sources[k].state) ? '!' : ' ');
  for (guint k = 0; k < s->n_sinks; k++)
    g_string_append_printf (shape, "%s%c\n", s->sinks[k].uri,
                            is_trouble (s->sinks[k].state) ? '!' : ' ');
  if (g_strcmp0 (shape->str, self->health_shape) != 0)
    {
      while ((row = gtk_widget_get_first_child (GTK_WIDGET (self->health_list))) != NULL)
        gtk_list_box_remove (self->health_list, row);
      for (guint k = 0; k < s->n_sources; k++)
        gtk_list_box_append (self->health_list,
                             health_row (s->sources[k].uri, is_trouble (s->sources[k].state)));
      for (guint k = 0; k < s->n_sinks; k++)
        gtk_list_box_append (self->health_list,
                             health_row (s->sinks[k].uri, is_trouble (s->sinks[k].state)));
      g_free (self->health_shape);
      self->health_shape = g_strdup (shape->str);
    }
  for (row = gtk_widget_get_first_child (GTK_WIDGET (self->health_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row), i++)
    {
      g_autofree char *subtitle = NULL;

      if (i < s->n_sources)
        subtitle = health_subtitle (s->sources[i].state, 0);
      else if (i < s->n_sources + s->n_sinks)
        subtitle
          = health_subtitle (s->sinks[i - s->n_sources].state, s->sinks[i - s->n_sources].backlog);
      if (subtitle != NULL
          && g_strcmp0 (subtitle, adw_action_row_get_subtitle (ADW_ACTION_ROW (row))) != 0)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
    }
}

static const char *
state_words (DmStationState state)
{
  switch (state)
    {
    case DM_STATION_IDLE: return _ ("Starting");
    case DM_STATION_RUNNING: return _ ("Running");
    case DM_STATION_PAUSED: return _ ("Paused");
    case DM_STATION_STALLED: return _ ("Stalled");
    case DM_STATION_STOPPING: return _ ("Stopping");
    case DM_STATION_STOPPED:
    default: return _ ("Stopped");
    }
}

/* One line: the source or output, named once (its state often names it). */
static void
append_trouble (GString *out, const char *uri, const char *state)
{
  if (out->len > 0)
    g_string_append_c (out, '\n');
  if (strstr (state, uri) == NULL)
    g_string_append_printf (out, "%s: ", uri);
  g_string_append (out, state);
}

/* The errors of the moment, in words; NULL when there are none. */
static char *
errors_now (DmLinePage *self)
{
  g_autoptr (GString) out = g_string_new (NULL);
  const DmStationStatus *s = &self->status;

  if (self->error != NULL)
    g_string_append (out, self->error);
  if (self->has_status && s->message != NULL)
    g_string_append_printf (out, "%s%s", out->len > 0 ? "\n" : "", s->message);
  for (guint i = 0; self->has_status && i < s->n_sources; i++)
    if (is_trouble (s->sources[i].state))
      append_trouble (out, s->sources[i].uri, s->sources[i].state);
  for (guint i = 0; self->has_status && i < s->n_sinks; i++)
    if (is_trouble (s->sinks[i].state))
      append_trouble (out, s->sinks[i].uri, s->sinks[i].state);
  g_mutex_lock (&self->live->lock);
  if (self->live->last_error != NULL)
    {
      g_autofree char *line
        = g_strdup_printf (_ ("Last part in error: %s"), self->live->last_error);

      g_string_append_printf (out, "%s%s", out->len > 0 ? "\n" : "", line);
    }
  g_mutex_unlock (&self->live->lock);
  return out->len > 0 ? g_strdup (out->str) : NULL;
}

void
dm_line_page_show_errors (DmLinePage *self)
{
  g_autofree char *text = errors_now (self);

  gtk_label_set_label (self->error_label, text != NULL ? text : "");
  gtk_revealer_set_reveal_child (self->error_revealer, text != NULL);
}

void
dm_line_page_show_status (DmLinePage *self)
{
  const DmStationStatus *s = &self->status;
  g_autofree char *pass = NULL, *uncertain = NULL, *fail = NULL, *error = NULL;
  g_autofree char *rate = NULL, *latency = NULL, *queue = NULL, *last = NULL;

  if (!self->has_status)
    return;
  pass = g_strdup_printf ("%" G_GUINT64_FORMAT, s->counts[0]);
  uncertain = g_strdup_printf ("%" G_GUINT64_FORMAT, s->counts[1]);
  fail = g_strdup_printf ("%" G_GUINT64_FORMAT, s->counts[2]);
  error = g_strdup_printf ("%" G_GUINT64_FORMAT, s->counts[3]);
  /* TRANSLATORS: parts inspected per second */
  rate = isfinite (s->rate) ? g_strdup_printf (_ ("%.1f parts/s"), s->rate) : g_strdup ("—");
  latency
    = isfinite (s->latency_p50_ms) && isfinite (s->latency_p99_ms)
        ? g_strdup_printf (_ ("%.0f ms median, %.0f ms p99"), s->latency_p50_ms, s->latency_p99_ms)
        : g_strdup ("—");
  queue = g_strdup_printf (_ ("%u of %u waiting"), s->intake, s->intake_capacity);
  last = g_strdup_printf ("%" G_GUINT64_FORMAT, s->last_seq);
  set_figure (self, FIGURE_PASS, pass);
  set_figure (self, FIGURE_UNCERTAIN, uncertain);
  set_figure (self, FIGURE_FAIL, fail);
  set_figure (self, FIGURE_ERROR, error);
  set_figure (self, FIGURE_RATE, rate);
  set_figure (self, FIGURE_LATENCY, latency);
  set_figure (self, FIGURE_QUEUE, queue);
  set_figure (self, FIGURE_LAST, last);

  show_health (self);
}

void
dm_line_page_show_state (DmLinePage *self)
{
  g_autofree char *text = NULL;
  DmStationState state = dm_line_page_get_state (self);

  if (self->station_job != NULL)
    text = g_strdup (self->station != NULL ? _ ("Stopping: every part in the queues is decided…")
                                           : _ ("Starting: loading the model…"));
  else if (self->mode == DM_LINE_FOLLOW)
    /* TRANSLATORS: the state of a station followed in another process */
    text = g_strdup_printf (_ ("Following a station: %s"), state_words (state));
  else if (self->mode == DM_LINE_OWN)
    text = g_strdup_printf (_ ("%s, model version %u"), state_words (state), self->model_version);
  else
    text = g_strdup (self->has_status ? state_words (DM_STATION_STOPPED) : _ ("Not running"));
  gtk_label_set_label (self->state_label, text);
  gtk_button_set_label (self->pause_button,
                        state == DM_STATION_PAUSED ? _ ("_Resume") : _ ("_Pause"));
  dm_line_page_show_errors (self);
}

void
dm_line_page_sync_actions (DmLinePage *self)
{
  GtkWidget *w = GTK_WIDGET (self);
  gboolean idle = self->mode == DM_LINE_NONE && self->station_job == NULL;
  gboolean own = self->mode == DM_LINE_OWN && self->station != NULL && self->station_job == NULL;

  gtk_widget_action_set_enabled (w, "line.start", idle && self->project != NULL);
  gtk_widget_action_set_enabled (w, "line.pause", own);
  gtk_widget_action_set_enabled (w, "line.stop", own);
  gtk_widget_action_set_enabled (w, "line.choose-station", idle && self->project != NULL);
  gtk_widget_action_set_enabled (w, "line.attach", idle && self->project != NULL);
  gtk_widget_action_set_enabled (w, "line.detach", self->mode == DM_LINE_FOLLOW);
  dm_line_page_show_state (self);
}

/* ---- pictures, made off the main thread ---- */

typedef struct
{
  DmLineItem *latest;
  GPtrArray *strip; /* DmLineItem* */
  int resize, crop;
  GHashTable *pixel; /* class -> double*: the pixel thresholds */
  DmLinePicture *latest_picture;
  GPtrArray *strip_pictures; /* DmLinePicture* (NULL when it failed) */
} Render;

static void
render_free (Render *r)
{
  g_clear_pointer (&r->latest, dm_line_item_free);
  g_clear_pointer (&r->strip, g_ptr_array_unref);
  g_clear_pointer (&r->pixel, g_hash_table_unref);
  g_clear_pointer (&r->latest_picture, dm_line_picture_free);
  g_clear_pointer (&r->strip_pictures, g_ptr_array_unref);
  g_free (r);
}

static double
pixel_threshold (Render *r, const DmLineItem *item)
{
  double *t = g_hash_table_lookup (r->pixel, item->part->class_name);

  return t != NULL ? *t : NAN;
}

static gboolean
render_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Render *r = data;

  if (r->latest != NULL)
    r->latest_picture = dm_line_render (r->latest, r->resize, r->crop,
                                        pixel_threshold (r, r->latest), LATEST_SIZE, NULL);
  for (guint i = 0; i < r->strip->len; i++)
    g_ptr_array_add (r->strip_pictures,
                     dm_line_render (r->strip->pdata[i], r->resize, r->crop,
                                     pixel_threshold (r, r->strip->pdata[i]), STRIP_SIZE, NULL));
  return TRUE;
}

static char *
describe_part (const DmPart *p)
{
  const char *decision = p->is_error ? _ ("error") : dm_decision_name (p->decision);
  g_autofree char *seq = g_strdup_printf ("%" G_GUINT64_FORMAT, p->seq);

  if (p->is_error)
    return g_strdup_printf (_ ("Part %s (%s): %s — %s"), seq, p->class_name, decision,
                            p->reason != NULL ? p->reason : "");
  /* TRANSLATORS: part number, class, decision, score */
  return g_strdup_printf (_ ("Part %s (%s): %s, score %.4f"), seq, p->class_name, decision,
                          p->score);
}

static GtkWidget *
strip_cell (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *image = gtk_picture_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_size_request (image, STRIP_SIZE, STRIP_SIZE);
  gtk_widget_set_halign (label, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), image);
  gtk_box_append (GTK_BOX (box), label);
  return box;
}

static void
strip_cell_set (GtkWidget *cell, const DmLineItem *item, const DmLinePicture *picture)
{
  GtkWidget *image = gtk_widget_get_first_child (cell);
  GtkWidget *label = gtk_widget_get_next_sibling (image);
  const char *decision = dm_decision_name (item->part->decision);
  const char *classes[] = { "review-badge", decision, NULL };
  g_autofree char *text = g_strdup_printf ("%s %.3f", decision, item->part->score);
  g_autofree char *tip = describe_part (item->part);
  g_autoptr (GdkTexture) texture = picture != NULL ? dm_line_picture_texture (picture) : NULL;

  gtk_picture_set_paintable (GTK_PICTURE (image), GDK_PAINTABLE (texture));
  gtk_label_set_label (GTK_LABEL (label), text);
  gtk_widget_set_css_classes (label, classes);
  gtk_widget_set_tooltip_text (cell, tip);
}

/* The newest first, DM_LINE_STRIP_MAX of them: the oldest cells move to the front
 * to show the new parts, so no widget is made or dropped while parts
 * stream and the cells between keep what they show. */
static void
show_strip (DmLinePage *self, GPtrArray *items, GPtrArray *pictures)
{
  GtkWidget *box = GTK_WIDGET (self->strip_box);
  guint n_new = MIN (items->len, DM_LINE_STRIP_MAX), n_cells = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (box); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    n_cells++;
  /* the oldest of the new ones first: each goes in front */
  for (guint i = items->len - n_new; i < items->len; i++)
    {
      GtkWidget *cell;

      if (n_cells < DM_LINE_STRIP_MAX)
        {
          cell = strip_cell ();
          gtk_box_prepend (self->strip_box, cell);
          n_cells++;
        }
      else
        {
          cell = gtk_widget_get_last_child (box);
          gtk_box_reorder_child_after (self->strip_box, cell, NULL);
        }
      strip_cell_set (cell, items->pdata[i], pictures->pdata[i]);
    }
}

static void
on_rendered (DmLinePage *self, DmJob *job)
{
  Render *r = dm_job_get_data (job);

  if (r->latest != NULL)
    {
      g_autofree char *text = describe_part (r->latest->part);

      if (r->latest_picture != NULL)
        {
          g_autoptr (GdkTexture) texture = dm_line_picture_texture (r->latest_picture);

          gtk_picture_set_paintable (self->latest_picture, GDK_PAINTABLE (texture));
          self->n_shown++;
        }
      gtk_label_set_label (self->latest_label, text);
    }
  if (r->strip->len > 0)
    show_strip (self, r->strip, r->strip_pictures);
  dm_job_clear (&self->render_job);
}

static GHashTable *
pixel_thresholds (DmLinePage *self)
{
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  DmProject *p = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;

  for (guint i = 0; p != NULL && i < p->classes->len; i++)
    {
      const DmProjectClass *c = p->classes->pdata[i];

      g_hash_table_insert (t, g_strdup (c->name), g_memdup2 (&c->pixel_threshold, sizeof (double)));
    }
  return t;
}

void
dm_line_page_maybe_render (DmLinePage *self)
{
  Render *r;

  if (self->render_job != NULL)
    return;
  r = g_new0 (Render, 1);
  r->strip = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_line_item_free);
  r->strip_pictures = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_line_picture_free);
  g_mutex_lock (&self->live->lock);
  r->latest = g_steal_pointer (&self->live->latest);
  while (!g_queue_is_empty (&self->live->strip))
    g_ptr_array_add (r->strip, g_queue_pop_head (&self->live->strip));
  g_mutex_unlock (&self->live->lock);
  if (r->latest == NULL && r->strip->len == 0)
    {
      render_free (r);
      return;
    }
  r->resize = self->resize;
  r->crop = self->crop;
  r->pixel = pixel_thresholds (self);
  self->render_job = dm_job_new (render_run, r, (GDestroyNotify)render_free);
  g_signal_connect_swapped (self->render_job, "finished", G_CALLBACK (on_rendered), self);
  dm_job_start (self->render_job);
}
