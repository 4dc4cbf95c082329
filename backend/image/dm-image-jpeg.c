/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JPEG decoder on libjpeg(-turbo) with the library's default settings (ISLOW
 * IDCT, fancy upsampling), so the pixels are the ones PIL decodes; CMYK and
 * YCCK are converted to RGB with PIL's formula. */
#include "dm-image-private.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "dm-error.h"

/* A progressive file can hold thousands of tiny scans that each cost a pass
 * over the whole image: a cheap denial of service. Real files have < 20. */
#define MAX_SCANS 256

typedef struct
{
  struct jpeg_error_mgr pub; /* first: libjpeg casts cinfo->err to this */
  struct jpeg_progress_mgr progress;
  jmp_buf jump;
  int code;
  char message[JMSG_LENGTH_MAX + 64];
  char warning[JMSG_LENGTH_MAX]; /* the first corrupt-data warning */
} JpegContext;

static void
jpeg_error_exit_cb (j_common_ptr cinfo)
{
  JpegContext *ctx = (JpegContext *)cinfo->err;

  if (ctx->message[0] == '\0')
    ctx->pub.format_message (cinfo, ctx->message);
  longjmp (ctx->jump, 1);
}

static void
jpeg_output_message_cb (j_common_ptr cinfo)
{
  /* Never print. */
}

static void
jpeg_emit_message_cb (j_common_ptr cinfo, int msg_level)
{
  JpegContext *ctx = (JpegContext *)cinfo->err;

  if (msg_level >= 0)
    return; /* trace messages */
  /* Running out of data: the source manager would pad the rest of the
   * image with gray, while PIL refuses the file as truncated. */
  if (ctx->pub.msg_code == JWRN_JPEG_EOF)
    {
      g_strlcpy (ctx->message, "truncated file (premature end of JPEG data)", sizeof ctx->message);
      longjmp (ctx->jump, 1);
    }
  /* Any other warning is damaged scan data that libjpeg resynchronises
   * over, painting what it lost as flat gray: such an image must not be
   * scored as if it were whole (on the line it would be a missed defect).
   * The first message says what was wrong; the caller decides (refused
   * unless DM_IMAGE_LOAD_ACCEPT_DAMAGED). */
  if (ctx->pub.num_warnings++ == 0)
    ctx->pub.format_message (cinfo, ctx->warning);
}

static void
jpeg_progress_cb (j_common_ptr cinfo)
{
  JpegContext *ctx = (JpegContext *)cinfo->err;
  j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;

  if (cinfo->is_decompressor && dinfo->input_scan_number > MAX_SCANS)
    {
      g_snprintf (ctx->message, sizeof ctx->message, "too many progressive scans (more than %d)",
                  MAX_SCANS);
      longjmp (ctx->jump, 1);
    }
}

/* PIL's cmyk2rgb (Convert.c): r = (255 - k) - (255 - k) * c / 255 with its
 * rounding MULDIV255. Adobe files store inverted CMYK (PIL's "CMYK;I"). */
static inline guint8
cmyk_channel (int c, int nk)
{
  int tmp = c * nk + 128;
  int v = nk - (((tmp >> 8) + tmp) >> 8);

  return (guint8)CLAMP (v, 0, 255);
}

static void
cmyk_row_to_rgb (const guint8 *in, guint8 *out, int width, gboolean inverted)
{
  for (int x = 0; x < width; x++, in += 4, out += 3)
    {
      int c = in[0], m = in[1], y = in[2], k = in[3];
      int nk;

      if (inverted)
        {
          c = 255 - c;
          m = 255 - m;
          y = 255 - y;
          k = 255 - k;
        }
      nk = 255 - k;
      out[0] = cmyk_channel (c, nk);
      out[1] = cmyk_channel (m, nk);
      out[2] = cmyk_channel (y, nk);
    }
}

typedef struct
{
  const DmImageSource *src;
  JpegContext *err;
  DmImage *image;
  guint8 *cmyk_row; /* one row of 4 samples, for CMYK/YCCK */
  gboolean done;
  GError *error;
} JpegJob;

/* Everything after setjmp: a libjpeg error longjmps out of it. */
static void
read_jpeg (struct jpeg_decompress_struct *cinfo, JpegJob *job)
{
  const DmImageSource *src = job->src;
  gboolean cmyk = FALSE;
  int channels;

  jpeg_mem_src (cinfo, src->data, (unsigned long)src->size);
  jpeg_read_header (cinfo, TRUE);

  src->info->bits_per_sample = cinfo->data_precision;
  src->info->samples_per_pixel = cinfo->num_components;
  if (!dm_image_check_size (src, cinfo->image_width, cinfo->image_height, &job->error))
    return;

  switch (cinfo->jpeg_color_space)
    {
    case JCS_GRAYSCALE:
      cinfo->out_color_space = JCS_GRAYSCALE;
      channels = 1;
      break;
    case JCS_YCbCr:
    case JCS_RGB:
      cinfo->out_color_space = JCS_RGB;
      channels = 3;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      cinfo->out_color_space = JCS_CMYK;
      channels = 3;
      cmyk = TRUE;
      break;
    default:
      g_set_error (&job->error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: unsupported JPEG colour space (%d components)", src->name,
                   cinfo->num_components);
      return;
    }

  jpeg_start_decompress (cinfo);
  if ((int)cinfo->output_components != (cmyk ? 4 : channels))
    {
      g_set_error (&job->error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: unexpected JPEG output (%d components)", src->name,
                   cinfo->output_components);
      return;
    }
  job->image = dm_image_new ((int)cinfo->output_width, (int)cinfo->output_height, channels,
                             DM_PIXEL_U8, &job->error);
  if (job->image == NULL)
    return;
  if (cmyk)
    {
      job->cmyk_row = g_try_malloc ((gsize)cinfo->output_width * 4);
      if (job->cmyk_row == NULL)
        {
          g_set_error (&job->error, DM_ERROR, DM_ERROR_NO_MEMORY, "%s: out of memory", src->name);
          return;
        }
    }

  while (cinfo->output_scanline < cinfo->output_height)
    {
      guint8 *row = job->image->data + (gsize)cinfo->output_scanline * job->image->stride;
      JSAMPROW target = cmyk ? job->cmyk_row : row;

      if (jpeg_read_scanlines (cinfo, &target, 1) != 1)
        {
          g_set_error (&job->error, DM_ERROR, DM_ERROR_CORRUPT, "%s: truncated file", src->name);
          return;
        }
      if (cmyk)
        cmyk_row_to_rgb (job->cmyk_row, row, (int)cinfo->output_width, cinfo->saw_Adobe_marker);
    }
  /* jpeg_finish_decompress is skipped on purpose: it would read on to the
   * EOI marker, and a file cut right after its last scan still holds
   * every pixel. */
  if (job->err->pub.num_warnings > 0)
    {
      src->info->n_warnings = (int)job->err->pub.num_warnings;
      g_snprintf (src->info->warning, sizeof src->info->warning, "damaged JPEG data (%s)",
                  job->err->warning);
      if (!(src->flags & DM_IMAGE_LOAD_ACCEPT_DAMAGED))
        {
          g_set_error (&job->error, DM_ERROR, DM_ERROR_CORRUPT,
                       "%s: %s: part of the image could not be decoded", src->name,
                       src->info->warning);
          return;
        }
    }
  job->done = TRUE;
}

DmImage *
dm_image_decode_jpeg (const DmImageSource *src, GError **error)
{
  struct jpeg_decompress_struct *cinfo = g_new0 (struct jpeg_decompress_struct, 1);
  JpegContext *ctx = g_new0 (JpegContext, 1);
  JpegJob *job = g_new0 (JpegJob, 1);
  DmImage *result = NULL;

  job->src = src;
  job->err = ctx;
  cinfo->err = jpeg_std_error (&ctx->pub);
  ctx->pub.error_exit = jpeg_error_exit_cb;
  ctx->pub.output_message = jpeg_output_message_cb;
  ctx->pub.emit_message = jpeg_emit_message_cb;
  ctx->code = DM_ERROR_CORRUPT;

  if (setjmp (ctx->jump) == 0)
    {
      jpeg_create_decompress (cinfo);
      ctx->progress.progress_monitor = jpeg_progress_cb;
      cinfo->progress = &ctx->progress;
      read_jpeg (cinfo, job);
    }

  /* No g_steal_pointer here: its inline temporaries would live across the
   * setjmp above (-Wclobbered). */
  if (job->done)
    {
      result = job->image;
      job->image = NULL;
    }
  else if (job->error != NULL)
    {
      g_propagate_error (error, job->error);
      job->error = NULL;
    }
  else
    dm_image_set_error (error, src, ctx->code, ctx->message);

  jpeg_destroy_decompress (cinfo);
  dm_image_free (job->image);
  g_free (job->cmyk_row);
  g_free (job);
  g_free (ctx);
  g_free (cinfo);
  return result;
}
