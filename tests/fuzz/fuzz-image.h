/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The body shared by the three decoder fuzz targets. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dm-image-private.h"

/* Small ceiling: the fuzzer looks for memory errors, not for big images. */
#define FUZZ_MAX_PIXELS (1000u * 1000u)

static inline int
fuzz_decode (DmImage *(*decode) (const DmImageSource *, GError **),
             const uint8_t *data,
             size_t size)
{
  DmImageInfo info;
  DmImageSource src = {
    .data = data,
    .size = size,
    .name = "fuzz-input",
    .max_pixels = FUZZ_MAX_PIXELS,
    /* Both palette behaviours, damaged data refused or decoded, chosen by
     * the input so runs reproduce. */
    .flags = ((size & 1) ? DM_IMAGE_LOAD_PALETTE_INDICES : DM_IMAGE_LOAD_DEFAULT)
             | ((size & 2) ? DM_IMAGE_LOAD_ACCEPT_DAMAGED : DM_IMAGE_LOAD_DEFAULT),
    .info = &info,
  };
  GError *error = NULL;
  DmImage *image;
  volatile unsigned sum = 0;

  if (size == 0)
    return 0;
  memset (&info, 0, sizeof info);
  image = decode (&src, &error);
  if (image == NULL)
    {
      /* Every failure must say something. */
      if (error == NULL || error->message == NULL || error->message[0] == '\0')
        __builtin_trap ();
      g_error_free (error);
      return 0;
    }
  if (error != NULL)
    __builtin_trap ();
  /* Touch every byte: ASan sees any short buffer. */
  for (size_t i = 0; i < image->stride * (size_t)image->height; i++)
    sum += image->data[i];
  (void)sum;
  dm_image_free (image);
  return 0;
}
