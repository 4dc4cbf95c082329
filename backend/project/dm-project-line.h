/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A project's inspection station, as the window's Line page sets it up:
 * where the parts of each class come from (sources), where the results go
 * (outputs), the journal folder, and how many passes keep their image and
 * map for the feedback loop. In project.json:
 *
 *   line  {sources: [{class, uri}], sinks: [uri], journal (relative to the
 *          project folder, or absolute), keep_passes (one pass in N keeps
 *          its picture; 0: none), station (the attached station's journal
 *          folder, or null)}
 *
 * The URIs are those of `dinomaly station --source/--sink` (dm-source.h,
 * dm-sink.h); the station checks them when it starts. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "dm-json-writer.h"
#include "dm-project.h"

G_BEGIN_DECLS

#define DM_PROJECT_LINE_JOURNAL "line"

typedef struct
{
  char *class_name;
  char *uri;
} DmLineSource;

struct _DmProjectLine
{
  GPtrArray *sources; /* DmLineSource*, owned */
  GPtrArray *sinks;   /* char *, owned */
  char *journal;      /* NULL: DM_PROJECT_LINE_JOURNAL */
  guint keep_passes;  /* 0: no pass keeps its picture; N: one in N */
  char *attached;     /* the journal folder of a station run outside, or NULL */
};

DmProjectLine *dm_project_line_new (void);
void dm_project_line_free (DmProjectLine *line);

void dm_project_line_add_source (DmProjectLine *line, const char *class_name, const char *uri);
void dm_project_line_write (DmJsonWriter *writer, const DmProjectLine *line);
/* Reads what write wrote (object may be NULL: an empty line); entries
 * that make no sense are left out. */
void dm_project_line_read (DmProjectLine *line, JsonObject *object);

/* The journal folder of the project's own station (absolute). */
char *dm_project_line_journal (const DmProject *project);
/* The journal the window follows: the attached station's, else its own. */
char *dm_project_line_followed_journal (const DmProject *project);

G_END_DECLS
