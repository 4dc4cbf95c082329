/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One inspected part as the journal records it: one JSON object on one
 * line, written by the station and read back by its outputs, a restarted
 * station and other processes. The members, in the order written:
 *
 *   id            "<station>-<seq, 10 digits>": unique, so that a receiver
 *                 recognises a record delivered twice
 *   seq           1, 2, 3 ... in journal order, across restarts
 *   source        the source as given (e.g. "folder:/srv/in")
 *   class         the class whose thresholds decided
 *   file          the file a hot folder took (absolute), else absent
 *   file_size, file_mtime_us   what identifies that file across restarts
 *   frame         a camera's frame number, else absent
 *   acquired      when the source took the part (ISO 8601 UTC, microseconds)
 *   decided       when the decision was made
 *   score         the image score (null for an error)
 *   decision      "pass", "uncertain", "fail" or "error"
 *   reason        why an error (absent otherwise)
 *   note          what to know of a scored part: a multi-page TIFF of which
 *                 only the first page was scored, damage it was scored
 *                 despite (absent otherwise)
 *   rule          the rule that decided ("score", "uncertain_band",
 *                 "region_area", "region_length", "region_count"; null when
 *                 passed; absent for an error)
 *   n_regions, n_small, regions   the defect regions that count, those too
 *                 small to count, and the largest (dm_verdict_write_members)
 *   thresholds    {"image", "uncertain_low", "uncertain_high"} (null: unset)
 *   model_sha256  the model file's SHA-256
 *   model_version the project's model version (absent: not from a project)
 *   width, height the picture's size (absent for an error before decoding)
 *   image, map    a kept image (its own bytes for files and uploads, PNG for
 *                 frames) and its 256x256 float32 TIFF map, relative to the
 *                 journal folder: fails, uncertain parts and the sample of
 *                 passes kept (keep_passes)
 *   moved_to      where a hot folder moves the file (absent: it stays)
 *
 * Readers ignore members they do not know, so later versions may add
 * some. */
#pragma once

#include <glib.h>

#include "dm-decider.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

/* The longest line a reader accepts: records are a few hundred bytes. */
#define DM_PART_MAX_LINE 65536
/* Reasons are cut to this many bytes (a line stays far below the limit). */
#define DM_PART_MAX_REASON 2000

typedef struct
{
  guint64 seq;
  char *id;
  char *source;
  char *class_name;
  char *file;
  gint64 file_size;     /* -1: no file */
  gint64 file_mtime_us; /* microseconds since 1970 */
  gint64 frame;         /* -1: no frame */
  gint64 acquired_us;   /* wall clock, microseconds since 1970 UTC */
  gint64 decided_us;
  float score;       /* NAN for an error */
  gboolean is_error; /* then reason says why; decision is not used */
  DmDecision decision;
  DmVerdict verdict; /* the rule and the regions (its score and decision are
                      * those above) */
  char *reason;
  char *note;
  DmThresholds thresholds;
  char *model_sha256;
  guint model_version; /* 0: none */
  int width, height;   /* 0: unknown */
  char *image;         /* relative to the journal folder, or NULL */
  char *map;
  char *moved_to;
} DmPart;

DmPart *dm_part_new (void);
void dm_part_free (DmPart *part);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmPart, dm_part_free)

/* "pass", "uncertain", "fail" or "error". */
const char *dm_part_decision_name (const DmPart *part);

/* The record as one line of JSON, without the newline. */
char *dm_part_to_json (const DmPart *part);
/* Parses one line (len bytes, no newline needed; at most
 * DM_PART_MAX_LINE); what (may be NULL) names the line in messages. */
DmPart *dm_part_from_json (const char *line, gsize len, const char *what, GError **error);

/* Microseconds since 1970 UTC as "2026-12-07T21:14:30.123456Z". */
char *dm_part_format_time (gint64 us);

G_END_DECLS
