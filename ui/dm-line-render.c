/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pictures of the line's parts, with their heatmaps (dm-line-render.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dm-line-render.h"
#include "dm-overlay.h"
#include "dm-resize.h"

#define MAP_SIZE 256

static DmImage *
image_copy (const DmImage *image)
{
  DmImage *copy = g_new (DmImage, 1);

  *copy = *image;
  copy->data = g_memdup2 (image->data, image->stride * (gsize)image->height);
  return copy;
}

static DmPart *
part_copy (const DmPart *part)
{
  g_autofree char *json = dm_part_to_json (part);

  return dm_part_from_json (json, strlen (json), NULL, NULL);
}

DmLineItem *
dm_line_item_new (const DmPart *part, const float *map, GBytes *bytes, const DmImage *frame)
{
  DmLineItem *item = g_new0 (DmLineItem, 1);

  item->part = part_copy (part);
  item->map = map != NULL ? g_memdup2 (map, MAP_SIZE * MAP_SIZE * sizeof (float)) : NULL;
  item->bytes = bytes != NULL ? g_bytes_ref (bytes) : NULL;
  item->frame = frame != NULL ? image_copy (frame) : NULL;
  return item;
}

void
dm_line_item_free (DmLineItem *item)
{
  if (item == NULL)
    return;
  dm_part_free (item->part);
  g_free (item->map);
  g_clear_pointer (&item->bytes, g_bytes_unref);
  g_clear_pointer (&item->frame, dm_image_free);
  g_free (item);
}

void
dm_line_picture_free (DmLinePicture *picture)
{
  if (picture == NULL)
    return;
  g_clear_pointer (&picture->rgb, g_bytes_unref);
  g_free (picture);
}

DmLinePicture *
dm_line_render (
  const DmLineItem *item, int resize, int crop, double pixel_threshold, int size, GError **error)
{
  g_autoptr (DmImage) decoded = NULL, composed = NULL;
  const DmImage *image = item->frame;
  DmLinePicture *picture;
  DmOverlayStyle style;
  DmCropGeometry geom;
  int w, h;
  guint8 *small;

  if (image == NULL && item->bytes != NULL)
    {
      gsize n;
      const guint8 *data = g_bytes_get_data (item->bytes, &n);

      decoded = dm_image_load_from_bytes (data, n, item->part->id, 0, error);
      if (decoded == NULL)
        return NULL;
      image = decoded;
    }
  if (image == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no picture", item->part->id);
      return NULL;
    }
  /* an error record has no map: the picture alone, through an empty map */
  {
    g_autofree float *zeros = item->map == NULL ? g_new0 (float, MAP_SIZE *MAP_SIZE) : NULL;

    dm_overlay_style_init (&style, item->map != NULL ? pixel_threshold : NAN);
    dm_crop_geometry_init (&geom, image->width, image->height, resize, crop);
    composed = dm_overlay_compose (image, item->map != NULL ? item->map : zeros, MAP_SIZE, &geom,
                                   &style, error);
  }
  if (composed == NULL)
    return NULL;
  w = composed->width;
  h = composed->height;
  if (MAX (w, h) > size)
    {
      double scale = (double)size / MAX (w, h);

      w = MAX (1, (int)(w * scale + 0.5));
      h = MAX (1, (int)(h * scale + 0.5));
    }
  small = g_malloc ((gsize)w * h * 3);
  if (!dm_resize_u8 (composed->data, composed->width, composed->height, composed->stride, small, w,
                     h, (gsize)w * 3, 3, error))
    {
      g_free (small);
      return NULL;
    }
  picture = g_new0 (DmLinePicture, 1);
  picture->rgb = g_bytes_new_take (small, (gsize)w * h * 3);
  picture->width = w;
  picture->height = h;
  return picture;
}

GdkTexture *
dm_line_picture_texture (const DmLinePicture *picture)
{
  return gdk_memory_texture_new (picture->width, picture->height, GDK_MEMORY_R8G8B8, picture->rgb,
                                 (gsize)picture->width * 3);
}
