/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pictures of the line's parts for the Line page, made off the main
 * thread: a part's picture (encoded bytes or a camera frame) with its
 * heatmap laid over it where the model looked (dm-overlay.h), scaled down
 * to fit a square, as 8-bit RGB for a GdkMemoryTexture. */
#pragma once

#include <gdk/gdk.h>

#include "dm-image.h"
#include "dm-part.h"

G_BEGIN_DECLS

/* One part as the Line page shows it: its record and what it was made of. */
typedef struct
{
  DmPart *part;   /* a copy */
  float *map;     /* (256, 256), or NULL (an error) */
  GBytes *bytes;  /* the encoded picture, or NULL */
  DmImage *frame; /* a camera's frame, or NULL */
} DmLineItem;

/* Copies of what the station lends (any may be NULL but part). */
DmLineItem *
dm_line_item_new (const DmPart *part, const float *map, GBytes *bytes, const DmImage *frame);
void dm_line_item_free (DmLineItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmLineItem, dm_line_item_free)

typedef struct
{
  GBytes *rgb; /* (height, width, 3) */
  int width, height;
} DmLinePicture;

void dm_line_picture_free (DmLinePicture *picture);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmLinePicture, dm_line_picture_free)

/* The item's picture with its heatmap (the model's resize and crop; the
 * colours anchored on pixel_threshold, NAN: the default scale), at most
 * size pixels wide and high. Blocking. */
DmLinePicture *dm_line_render (const DmLineItem *item,
                               int resize,
                               int crop,
                               double pixel_threshold,
                               int size,
                               GError **error);
/* Main thread. */
GdkTexture *dm_line_picture_texture (const DmLinePicture *picture);

G_END_DECLS
