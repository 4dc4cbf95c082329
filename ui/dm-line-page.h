/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Line page: the project's inspection station. Its set-up (the sources
 * of each class: hot folders, GStreamer pipelines, GenICam cameras found
 * through Aravis; the outputs: result files, MQTT, webhooks, Modbus; one
 * pass in N kept for the feedback loop) is part of the project. The
 * station runs inside the window (its threads never block the main loop),
 * or the page follows a `dinomaly station` running on this machine by
 * reading its journal and status.json. Live: the latest part with its
 * heatmap and decision, counts, rate, latency, queue, the health of every
 * source and output (a broker that is down, with its backlog), the latest
 * rejects and uncertain parts, every error in words. The line's uncertain
 * parts and kept passes come back to the project for Review. A model
 * promoted while the window's station runs is taken up at once: the
 * station stops (every part in its queues decided) and starts again with
 * it; hot-folder files wait meanwhile, none is lost. */
#pragma once

#include <adwaita.h>

#include "dm-open-project.h"
#include "dm-station.h"

G_BEGIN_DECLS

#define DM_TYPE_LINE_PAGE (dm_line_page_get_type ())
G_DECLARE_FINAL_TYPE (DmLinePage, dm_line_page, DM, LINE_PAGE, AdwBin)

void dm_line_page_set_project (DmLinePage *self, DmOpenProject *project);
DmOpenProject *dm_line_page_get_project (DmLinePage *self);

/* The station's state (DM_STATION_IDLE when there is none), as last seen. */
DmStationState dm_line_page_get_state (DmLinePage *self);
/* TRUE while the window's station is starting or stopping. */
gboolean dm_line_page_is_busy (DmLinePage *self);
/* The last status seen (NULL before the first). */
const DmStationStatus *dm_line_page_get_status (DmLinePage *self);
/* The error shown above the live view, or NULL. */
const char *dm_line_page_get_error (DmLinePage *self);
/* How many pictures of the latest part were shown; parts brought back to
 * the project so far; TRUE while they are being brought. */
guint dm_line_page_get_n_shown (DmLinePage *self);
guint dm_line_page_get_n_imported (DmLinePage *self);
gboolean dm_line_page_is_importing (DmLinePage *self);
/* The journal folder the page follows or its station writes. */
char *dm_line_page_get_journal (DmLinePage *self);
/* The model version the window's station runs (0: none). */
guint dm_line_page_get_model_version (DmLinePage *self);

/* Stops the window's station and waits for it (the window closing). */
void dm_line_page_shutdown (DmLinePage *self);

G_END_DECLS
