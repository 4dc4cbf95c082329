/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TIFF decoder on libtiff: first page only; 1/2/4/8/16-bit unsigned and
 * 32-bit float samples; gray, RGB, palette, with or without alpha; chunky or
 * planar; strips or tiles; whatever compression libtiff was built with. */
#include "dm-image-private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <tiffio.h>

#include "dm-error.h"

typedef struct
{
  const DmImageSource *src;
  toff_t offset;
  char message[512]; /* first error libtiff reported */
} TiffContext;

/* How file samples become DmImage channels. */
typedef struct
{
  int width, height;
  int spp; /* samples per pixel in the file */
  int bps; /* bits per sample */
  gboolean is_float;
  gboolean planar;  /* PLANARCONFIG_SEPARATE */
  gboolean invert;  /* MINISWHITE */
  gboolean palette; /* expand indices through lut */
  gboolean indices; /* palette indices kept as they are */
  int out_channels;
  int map[4];         /* file sample feeding each output channel */
  guint8 lut[3][256]; /* palette, 8-bit (colormap >> 8, as PIL) */
} TiffLayout;

/* fmt and ap come from libtiff, which checks its own formats. */
static int
tiff_error_cb (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
  G_GNUC_PRINTF (4, 0);

static int
tiff_error_cb (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
{
  TiffContext *ctx = user_data;

  if (ctx != NULL && ctx->message[0] == '\0')
    {
      char text[400];

      g_vsnprintf (text, sizeof text, fmt, ap);
      /* libtiff names the file as the module of open errors: we add the
       * name ourselves. */
      if (module != NULL && *module != '\0' && strcmp (module, ctx->src->name) != 0)
        g_snprintf (ctx->message, sizeof ctx->message, "%s: %s", module, text);
      else
        g_strlcpy (ctx->message, text, sizeof ctx->message);
    }
  return 1; /* handled: do not call the global handlers */
}

static int
tiff_warning_cb (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
{
  return 1; /* unknown tags and the like: never printed */
}

/* libtiff still has a few paths that report through the process-wide
 * handlers (no TIFF* yet, or old-style calls): silence them once, so the
 * library never prints. */
static void
silence_global_handlers (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      TIFFSetErrorHandler (NULL);
      TIFFSetWarningHandler (NULL);
      g_once_init_leave (&once, 1);
    }
}

static tmsize_t
tiff_read_cb (thandle_t handle, void *buf, tmsize_t size)
{
  TiffContext *ctx = handle;
  gsize left = ctx->offset < ctx->src->size ? ctx->src->size - (gsize)ctx->offset : 0;
  gsize n = MIN ((gsize)size, left);

  if (size < 0)
    return -1;
  if (n > 0)
    memcpy (buf, ctx->src->data + ctx->offset, n);
  ctx->offset += n;
  return (tmsize_t)n;
}

static tmsize_t
tiff_write_cb (thandle_t handle, void *buf, tmsize_t size)
{
  return -1;
}

static toff_t
tiff_seek_cb (thandle_t handle, toff_t offset, int whence)
{
  TiffContext *ctx = handle;
  guint64 base;

  switch (whence)
    {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = ctx->offset; break;
    case SEEK_END: base = ctx->src->size; break;
    default: return (toff_t)-1;
    }
  /* Offsets come from the file: refuse wrap-arounds. */
  if (offset > G_MAXINT64 || base + offset < base)
    return (toff_t)-1;
  ctx->offset = base + offset;
  return ctx->offset;
}

static int
tiff_close_cb (thandle_t handle)
{
  return 0;
}

static toff_t
tiff_size_cb (thandle_t handle)
{
  TiffContext *ctx = handle;

  return ctx->src->size;
}

/* libtiff reads straight from the buffer (it never writes to a map opened
 * for reading), so strips are not copied twice. */
static int
tiff_map_cb (thandle_t handle, void **base, toff_t *size)
{
  TiffContext *ctx = handle;

  *base = (void *)ctx->src->data;
  *size = ctx->src->size;
  return 1;
}

static void
tiff_unmap_cb (thandle_t handle, void *base, toff_t size)
{
}

/* libtiff 4.5 re-sorts its field table for every unknown tag it meets, so
 * a directory of tens of thousands of bogus tags costs seconds. Real files
 * have a few dozen: refuse absurd counts before libtiff sees them. */
#define MAX_TIFF_TAGS 1000

static guint64
read_uint (const guint8 *p, int n, gboolean little)
{
  guint64 v = 0;

  for (int i = 0; i < n; i++)
    v |= (guint64)p[little ? i : n - 1 - i] << (8 * i);
  return v;
}

static gboolean
check_tag_count (const DmImageSource *src, GError **error)
{
  const guint8 *d = src->data;
  gboolean little, big;
  guint64 offset, count;

  /* Anything odd here is left to libtiff, which says what is wrong. */
  if (src->size < 8)
    return TRUE;
  little = d[0] == 'I';
  big = (little ? d[2] : d[3]) == 43;
  if (!big)
    {
      offset = read_uint (d + 4, 4, little);
      if (offset > src->size - 2)
        return TRUE;
      count = read_uint (d + offset, 2, little);
    }
  else
    {
      if (src->size < 16)
        return TRUE;
      offset = read_uint (d + 8, 8, little);
      if (offset > src->size - 8)
        return TRUE;
      count = read_uint (d + offset, 8, little);
    }
  if (count > MAX_TIFF_TAGS)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "%s: TIFF directory with %" G_GUINT64_FORMAT " entries (at most %d expected)",
                   src->name, count, MAX_TIFF_TAGS);
      return FALSE;
    }
  return TRUE;
}

static void
set_tiff_error (GError **error, const DmImageSource *src, TiffContext *ctx, const char *what)
{
  if (ctx->message[0] != '\0')
    dm_image_set_error (error, src, DM_ERROR_CORRUPT, ctx->message);
  else
    dm_image_set_error (error, src, DM_ERROR_CORRUPT, what);
}

/* Reads the tags and decides the layout; FALSE with error for what we do not
 * handle. */
static gboolean
read_layout (TIFF *tif, const DmImageSource *src, TiffLayout *L, GError **error)
{
  uint32_t width = 0, height = 0;
  uint16_t spp = 1, bps = 1, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
  uint16_t photometric = PHOTOMETRIC_MINISBLACK, compression = COMPRESSION_NONE;
  uint16_t n_extra = 0, *extra = NULL;
  int colour, alpha = -1;

  if (!TIFFGetField (tif, TIFFTAG_IMAGEWIDTH, &width)
      || !TIFFGetField (tif, TIFFTAG_IMAGELENGTH, &height))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: TIFF without image size", src->name);
      return FALSE;
    }
  TIFFGetFieldDefaulted (tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted (tif, TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetFieldDefaulted (tif, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetFieldDefaulted (tif, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted (tif, TIFFTAG_COMPRESSION, &compression);
  if (!TIFFGetField (tif, TIFFTAG_PHOTOMETRIC, &photometric))
    photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  TIFFGetFieldDefaulted (tif, TIFFTAG_EXTRASAMPLES, &n_extra, &extra);

  src->info->bits_per_sample = bps;
  src->info->samples_per_pixel = spp;
  src->info->palette = photometric == PHOTOMETRIC_PALETTE;
  if (!dm_image_check_size (src, width, height, error))
    return FALSE;

  memset (L, 0, sizeof *L);
  L->width = (int)width;
  L->height = (int)height;
  L->spp = spp;
  L->bps = bps;
  L->planar = planar == PLANARCONFIG_SEPARATE;

  if (!TIFFIsCODECConfigured (compression))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: TIFF compression scheme %u is not available", src->name, compression);
      return FALSE;
    }
  if (format == SAMPLEFORMAT_IEEEFP && bps == 32)
    L->is_float = TRUE;
  else if ((format == SAMPLEFORMAT_UINT || format == SAMPLEFORMAT_VOID)
           && (bps == 8 || bps == 16 || ((bps == 1 || bps == 2 || bps == 4) && spp == 1)))
    L->is_float = FALSE;
  else
    {
      static const char *const names[]
        = { "?",       "unsigned integer", "signed integer",        "floating point",
            "untyped", "complex integer",  "complex floating point" };

      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: unsupported TIFF sample format (%u-bit %s, %u samples per pixel)",
                   src->name, bps, format < G_N_ELEMENTS (names) ? names[format] : "unknown", spp);
      return FALSE;
    }

  switch (photometric)
    {
    case PHOTOMETRIC_MINISWHITE:
      L->invert = TRUE;
      if (L->is_float)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                       "%s: unsupported TIFF: float samples with white as zero", src->name);
          return FALSE;
        }
      G_GNUC_FALLTHROUGH;
    case PHOTOMETRIC_MINISBLACK: colour = 1; break;
    case PHOTOMETRIC_RGB: colour = 3; break;
    case PHOTOMETRIC_YCBCR:
      if (compression != COMPRESSION_JPEG)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                       "%s: unsupported TIFF: YCbCr samples without JPEG compression", src->name);
          return FALSE;
        }
      /* libjpeg converts to RGB and upsamples. */
      TIFFSetField (tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
      colour = 3;
      break;
    case PHOTOMETRIC_PALETTE:
      if (bps > 8 || spp != 1 || L->is_float)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                       "%s: unsupported TIFF palette image (%u bits, %u samples)", src->name, bps,
                       spp);
          return FALSE;
        }
      colour = 1;
      break;
    default:
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: unsupported TIFF photometric interpretation %u (only gray, RGB, "
                   "palette and JPEG YCbCr)",
                   src->name, photometric);
      return FALSE;
    }
  if (spp < colour)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "%s: TIFF has %u samples per pixel, too few for its colour space", src->name,
                   spp);
      return FALSE;
    }
  /* The first extra sample is alpha when the file says so; other extra
   * samples are dropped. */
  if (spp > colour && n_extra > 0 && extra != NULL
      && (extra[0] == EXTRASAMPLE_ASSOCALPHA || extra[0] == EXTRASAMPLE_UNASSALPHA))
    alpha = colour;
  src->info->has_alpha = alpha >= 0;

  if (photometric == PHOTOMETRIC_PALETTE && !(src->flags & DM_IMAGE_LOAD_PALETTE_INDICES))
    {
      uint16_t *r = NULL, *g = NULL, *b = NULL;
      int n = 1 << bps;

      if (!TIFFGetField (tif, TIFFTAG_COLORMAP, &r, &g, &b) || r == NULL || g == NULL || b == NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: TIFF palette image without colormap",
                       src->name);
          return FALSE;
        }
      for (int i = 0; i < n; i++)
        {
          L->lut[0][i] = r[i] >> 8;
          L->lut[1][i] = g[i] >> 8;
          L->lut[2][i] = b[i] >> 8;
        }
      L->palette = TRUE;
      L->out_channels = 3;
      L->map[0] = L->map[1] = L->map[2] = 0;
    }
  else if (colour == 1 && alpha < 0)
    {
      L->indices = photometric == PHOTOMETRIC_PALETTE;
      L->out_channels = 1;
      L->map[0] = 0;
    }
  else
    {
      /* Gray+alpha becomes RGBA, as in the PNG decoder. */
      L->out_channels = alpha >= 0 ? 4 : 3;
      for (int c = 0; c < 3; c++)
        L->map[c] = colour == 1 ? 0 : c;
      L->map[3] = alpha;
    }
  return TRUE;
}

/* One file sample as an integer (or float bits) of the output type. */
static inline void
put_sample (const TiffLayout *L, const guint8 *in, gsize index, guint8 *out_px, int c, int n_out)
{
  if (L->is_float)
    {
      float v;

      memcpy (&v, in + index * 4, 4);
      memcpy (out_px + (gsize)c * 4, &v, 4);
    }
  else if (L->bps == 16)
    {
      guint16 v;

      memcpy (&v, in + index * 2, 2);
      if (L->invert)
        v = 65535 - v;
      memcpy (out_px + (gsize)c * 2, &v, 2);
    }
  else
    {
      int v, maxv = (1 << L->bps) - 1;

      if (L->bps == 8)
        v = in[index];
      else
        {
          gsize bit = index * (gsize)L->bps;

          v = (in[bit / 8] >> (8 - L->bps - (int)(bit % 8))) & maxv;
        }
      if (L->palette)
        {
          for (int k = 0; k < n_out; k++)
            out_px[k] = L->lut[k][v];
          return;
        }
      /* Indices stay indices; gray levels are scaled to 0..255. */
      if (L->invert)
        v = maxv - v;
      if (L->bps < 8 && !L->indices)
        v = v * (255 / maxv);
      out_px[c] = (guint8)v;
    }
}

/* Converts n pixels of one row: `in` holds the file's samples for those
 * pixels (all of them when chunky, those of `plane` when planar). */
static void
convert_run (const TiffLayout *L, const guint8 *in, int n, int plane, guint8 *out, gsize out_pixel)
{
  int n_in = L->planar ? 1 : L->spp;

  for (int i = 0; i < n; i++, out += out_pixel)
    {
      if (L->palette)
        {
          put_sample (L, in, (gsize)i, out, 0, 3);
          continue;
        }
      for (int c = 0; c < L->out_channels; c++)
        {
          int s = L->map[c];

          if (L->planar && s != plane)
            continue;
          put_sample (L, in, (gsize)i * n_in + (L->planar ? 0 : s), out, c, L->out_channels);
        }
    }
}

static gsize
row_bytes (const TiffLayout *L, guint32 pixels)
{
  int n_in = L->planar ? 1 : L->spp;

  return ((gsize)pixels * n_in * L->bps + 7) / 8;
}

typedef struct
{
  const DmImageSource *src;
  TiffContext *ctx;
  TiffLayout layout;
  DmImage *image;
  guint8 *buf;
} TiffJob;

static gboolean
alloc_buffer (TiffJob *job, tmsize_t size, gsize needed, GError **error)
{
  if (size <= 0 || (guint64)size < needed)
    {
      set_tiff_error (error, job->src, job->ctx, "invalid strip or tile size");
      return FALSE;
    }
  job->buf = g_try_malloc ((gsize)size);
  if (job->buf == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                   "%s: out of memory for a %" G_GINT64_FORMAT "-byte TIFF strip or tile",
                   job->src->name, (gint64)size);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_strips (TIFF *tif, TiffJob *job, GError **error)
{
  const TiffLayout *L = &job->layout;
  DmImage *image = job->image;
  gsize pixel_bytes = image->stride / (gsize)image->width;
  gsize in_row = row_bytes (L, (guint32)L->width);
  uint32_t rps = 0, per_plane;
  int planes = L->planar ? L->spp : 1;

  TIFFGetFieldDefaulted (tif, TIFFTAG_ROWSPERSTRIP, &rps);
  if (rps == 0 || rps > (uint32_t)L->height)
    rps = (uint32_t)L->height;
  per_plane = ((uint32_t)L->height + rps - 1) / rps;
  if ((guint64)per_plane * planes > TIFFNumberOfStrips (tif))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: TIFF has %u strips, %u expected",
                   job->src->name, TIFFNumberOfStrips (tif), per_plane * planes);
      return FALSE;
    }
  if (!alloc_buffer (job, TIFFStripSize (tif), in_row * rps, error))
    return FALSE;

  for (int p = 0; p < planes; p++)
    for (uint32_t s = 0; s < per_plane; s++)
      {
        uint32_t y0 = s * rps;
        uint32_t rows = MIN (rps, (uint32_t)L->height - y0);
        tmsize_t got = TIFFReadEncodedStrip (tif, (uint32_t)p * per_plane + s, job->buf,
                                             (tmsize_t)(in_row * rows));

        if (got < 0 || (gsize)got < in_row * rows)
          {
            set_tiff_error (error, job->src, job->ctx, "cannot read a strip");
            return FALSE;
          }
        for (uint32_t r = 0; r < rows; r++)
          convert_run (L, job->buf + r * in_row, L->width, p,
                       image->data + (gsize)(y0 + r) * image->stride, pixel_bytes);
      }
  return TRUE;
}

static gboolean
read_tiles (TIFF *tif, TiffJob *job, GError **error)
{
  const TiffLayout *L = &job->layout;
  DmImage *image = job->image;
  gsize pixel_bytes = image->stride / (gsize)image->width;
  guint64 max_pixels
    = job->src->max_pixels != 0 ? job->src->max_pixels : DM_IMAGE_DEFAULT_MAX_PIXELS;
  uint32_t tw = 0, th = 0;
  gsize in_row;
  int planes = L->planar ? L->spp : 1;

  if (!TIFFGetField (tif, TIFFTAG_TILEWIDTH, &tw) || !TIFFGetField (tif, TIFFTAG_TILELENGTH, &th)
      || tw == 0 || th == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: TIFF tiles without a size",
                   job->src->name);
      return FALSE;
    }
  /* A tiny image may declare huge tiles: bound them like the image. */
  if ((guint64)tw * th > MAX (max_pixels, (guint64)1 << 20))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "%s: TIFF tiles of %u x %u pixels are over the limit", job->src->name, tw, th);
      return FALSE;
    }
  in_row = row_bytes (L, tw);
  if (!alloc_buffer (job, TIFFTileSize (tif), in_row * th, error))
    return FALSE;

  for (int p = 0; p < planes; p++)
    for (uint32_t ty = 0; ty < (uint32_t)L->height; ty += th)
      for (uint32_t tx = 0; tx < (uint32_t)L->width; tx += tw)
        {
          uint32_t tile = TIFFComputeTile (tif, tx, ty, 0, (uint16_t)p);
          uint32_t rows = MIN (th, (uint32_t)L->height - ty);
          uint32_t cols = MIN (tw, (uint32_t)L->width - tx);

          if (TIFFReadEncodedTile (tif, tile, job->buf, (tmsize_t)(in_row * th)) < 0)
            {
              set_tiff_error (error, job->src, job->ctx, "cannot read a tile");
              return FALSE;
            }
          for (uint32_t r = 0; r < rows; r++)
            convert_run (L, job->buf + r * in_row, (int)cols, p,
                         image->data + (gsize)(ty + r) * image->stride + tx * pixel_bytes,
                         pixel_bytes);
        }
  return TRUE;
}

DmImage *
dm_image_decode_tiff (const DmImageSource *src, GError **error)
{
  TiffContext ctx = { .src = src };
  TiffJob job = { .src = src, .ctx = &ctx };
  TIFFOpenOptions *opts;
  guint64 max_pixels = src->max_pixels != 0 ? src->max_pixels : DM_IMAGE_DEFAULT_MAX_PIXELS;
  TIFF *tif;
  DmPixelType type;
  gboolean ok;

  if (!check_tag_count (src, error))
    return NULL;
  silence_global_handlers ();
  opts = TIFFOpenOptionsAlloc ();
  TIFFOpenOptionsSetErrorHandlerExtR (opts, tiff_error_cb, &ctx);
  TIFFOpenOptionsSetWarningHandlerExtR (opts, tiff_warning_cb, &ctx);
  /* libtiff's own buffers (directory arrays, decoded strips): no more than
   * the largest image we accept could need. */
  TIFFOpenOptionsSetMaxSingleMemAlloc (
    opts, (tmsize_t)MIN (max_pixels * 16 + (1 << 24), (guint64)TIFF_TMSIZE_T_MAX));
  tif = TIFFClientOpenExt (src->name, "r", &ctx, tiff_read_cb, tiff_write_cb, tiff_seek_cb,
                           tiff_close_cb, tiff_size_cb, tiff_map_cb, tiff_unmap_cb, opts);
  TIFFOpenOptionsFree (opts);
  if (tif == NULL)
    {
      set_tiff_error (error, src, &ctx, "not a readable TIFF file");
      return NULL;
    }

  ok = read_layout (tif, src, &job.layout, error);
  if (ok)
    {
      type = job.layout.is_float ? DM_PIXEL_F32 : job.layout.bps == 16 ? DM_PIXEL_U16 : DM_PIXEL_U8;
      job.image
        = dm_image_new (job.layout.width, job.layout.height, job.layout.out_channels, type, error);
      ok = job.image != NULL;
    }
  if (ok)
    ok = TIFFIsTiled (tif) ? read_tiles (tif, &job, error) : read_strips (tif, &job, error);
  /* Only the first page is read: callers say so when there are more
   * (libtiff counts the directories without reading their data and stops
   * at a loop of directories). */
  if (ok)
    src->info->n_pages = MAX ((int)TIFFNumberOfDirectories (tif), 1);

  TIFFClose (tif);
  g_free (job.buf);
  if (!ok)
    {
      dm_image_free (job.image);
      return NULL;
    }
  return job.image;
}
