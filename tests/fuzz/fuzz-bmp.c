/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the BMP decoder on arbitrary bytes. */
#include "fuzz-image.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return fuzz_decode (dm_image_decode_bmp, data, size);
}
