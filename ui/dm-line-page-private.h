/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmLinePage's fields, shared by dm-line-page.c (the line's set-up: sources,
 * outputs, the passes kept; its actions) and dm-line-page-run.c (the
 * station run in the window or followed in another process, the live view,
 * parts brought back to the project). */
#pragma once

#include "dm-job.h"
#include "dm-journal.h"
#include "dm-line-page.h"
#include "dm-line-render.h"
#include "dm-station.h"

G_BEGIN_DECLS

/* What the station's committer thread hands the main loop: the latest
 * part (at most ten a second) and the fails and uncertain parts since the
 * last look. Reference-counted: a station stopping after its page is gone
 * still writes here. */
typedef struct
{
  GMutex lock;
  DmLineItem *latest;
  gint64 latest_taken_us;
  GQueue strip;     /* DmLineItem*: fails and uncertain parts, newest last */
  char *last_error; /* the reason of the last error record, or NULL */
  guint64 n_parts;
} DmLineLive;

DmLineLive *dm_line_live_new (void);
DmLineLive *dm_line_live_ref (DmLineLive *live);
void dm_line_live_unref (DmLineLive *live);
/* Takes an item (any thread): the latest, and the strip's when it is a
 * fail or an uncertain part. */
void dm_line_live_push (DmLineLive *live, DmLineItem *item);

typedef enum
{
  DM_LINE_NONE,   /* no station */
  DM_LINE_OWN,    /* the window's own station */
  DM_LINE_FOLLOW, /* a station in another process, followed */
} DmLineMode;

#define DM_LINE_FIGURES 8
/* the strip's rejects and uncertain parts */
#define DM_LINE_STRIP_MAX 12

struct _DmLinePage
{
  AdwBin parent_instance;

  /* template: the set-up */
  GtkListBox *sources_list;
  GtkDropDown *source_class_dropdown;
  GtkDropDown *source_kind_dropdown;
  GtkStack *source_stack;
  GtkEntry *folder_entry;
  GtkCheckButton *move_check;
  GtkEntry *pipeline_entry;
  GtkDropDown *camera_dropdown;
  GtkSpinButton *camera_rate_spin;
  GtkCheckButton *trigger_check;
  GtkListBox *sinks_list;
  GtkDropDown *sink_kind_dropdown;
  GtkEntry *sink_entry;
  GtkSpinButton *keep_passes_spin;
  AdwActionRow *journal_row;
  /* template: the line at work */
  GtkButton *start_button;
  GtkButton *pause_button;
  GtkLabel *state_label;
  GtkRevealer *error_revealer;
  GtkLabel *error_label;
  GtkPicture *latest_picture;
  GtkLabel *latest_label;
  GtkGrid *figures;
  GtkListBox *health_list;
  GtkBox *strip_box;
  GtkLabel *figure_values[DM_LINE_FIGURES];

  DmOpenProject *project; /* or NULL */
  gboolean updating;      /* widgets set by code */
  char **camera_ids;      /* found by the last look, or NULL */
  DmJob *cameras_job;
  GtkNativeDialog *chooser;

  /* the station (dm-line-page-run.c) */
  DmLineMode mode;
  DmStation *station;     /* DM_LINE_OWN, running */
  char *followed;         /* the journal folder of the station followed */
  DmJob *station_job;     /* starting or stopping the own station */
  gboolean restart;       /* start again once stopped (a model was promoted) */
  DmLineLive *live;       /* what the committer hands over */
  int resize, crop;       /* the model's input, for the heatmaps */
  guint model_version;    /* the version the own station runs */
  DmStationStatus status; /* the last one seen */
  gboolean has_status;
  char *error; /* shown above the live view, or NULL */
  guint poll_id;
  DmJob *poll_job; /* reading a followed station's status and journal */
  DmJournalPosition followed_position;
  gboolean followed_started;
  DmJob *render_job;
  char *health_shape;   /* the rows of the health list: uri and trouble flag each */
  guint n_shown;        /* latest pictures shown */
  DmJob *import_job;    /* bringing parts back into the project */
  guint64 imported_seq; /* the journal's last seq when the last import began */
  gint64 last_import_us;
  guint n_imported;
};

/* dm-line-page-live.c */
/* The station's on_part (its committer thread): data is a DmLineLive. */
void dm_line_live_on_part (
  const DmPart *part, const float *map, GBytes *bytes, const DmImage *frame, gpointer data);
void dm_line_page_show_status (DmLinePage *self);
void dm_line_page_show_state (DmLinePage *self);
void dm_line_page_show_errors (DmLinePage *self);
/* Draws what the committer handed over since the last time, in a job. */
void dm_line_page_maybe_render (DmLinePage *self);

/* dm-line-page-run.c */
void dm_line_page_run_init (DmLinePage *self);
void dm_line_page_run_dispose (DmLinePage *self);
/* The project changed under the page (another opened, a model promoted). */
void dm_line_page_run_project_changed (DmLinePage *self, gboolean closed);
void dm_line_page_run_model_changed (DmLinePage *self);
void dm_line_page_start (DmLinePage *self);
void dm_line_page_toggle_pause (DmLinePage *self);
void dm_line_page_stop (DmLinePage *self);
void dm_line_page_follow (DmLinePage *self, const char *journal);
void dm_line_page_let_go (DmLinePage *self);
/* Enables the actions that fit the state now. */
void dm_line_page_sync_actions (DmLinePage *self);

G_END_DECLS
