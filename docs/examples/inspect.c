/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inspects raw camera frames with libdinomaly: what a machine builder's
 * program does with a frame it already has in memory.
 *
 *   cc inspect.c $(pkg-config --cflags --libs dinomaly) -o inspect
 *   ./inspect [--class NAME] [--rules RULES.json] MODEL FORMAT WIDTH HEIGHT FRAME.raw
 *             [MAP.f32]
 *
 * FORMAT is gray8, rgb8, gray16 or rgb16; FRAME.raw holds the pixels, rows
 * packed (16-bit samples in the machine's byte order). Prints the score
 * (as `dinomaly predict` writes it in results.csv), the decision, the rule
 * that made it, the map's size and the defect regions; MAP.f32 (optional)
 * receives the anomaly map as float32 values, row by row, the values of
 * predict's STEM_map.tiff. Exit status 0 on success, 1 on an error. */
#include <dinomaly.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file in memory (free it); NULL when it cannot be read. */
static void *
read_file (const char *path, size_t *size)
{
  FILE *f = fopen (path, "rb");
  char *data = NULL;
  size_t n = 0, room = 0, got;

  if (f == NULL)
    return NULL;
  for (;;)
    {
      if (n == room)
        {
          char *bigger = realloc (data, room = room * 2 + 65536);

          if (bigger == NULL)
            {
              free (data);
              fclose (f);
              return NULL;
            }
          data = bigger;
        }
      got = fread (data + n, 1, room - n, f);
      if (got == 0)
        break;
      n += got;
    }
  if (ferror (f))
    {
      free (data);
      data = NULL;
    }
  fclose (f);
  *size = n;
  return data;
}

static int
parse_format (const char *name, dinomaly_pixel_format *format, size_t *bytes)
{
  static const struct
  {
    const char *name;
    dinomaly_pixel_format format;
    size_t bytes;
  } formats[] = {
    { "gray8", DINOMALY_GRAY8, 1 },
    { "rgb8", DINOMALY_RGB8, 3 },
    { "gray16", DINOMALY_GRAY16, 2 },
    { "rgb16", DINOMALY_RGB16, 6 },
  };

  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
    if (strcmp (name, formats[i].name) == 0)
      {
        *format = formats[i].format;
        *bytes = formats[i].bytes;
        return 1;
      }
  return 0;
}

int
main (int argc, char **argv)
{
  const char *class_name = NULL, *rules_path = NULL;
  dinomaly_model *model = NULL;
  dinomaly_result *result = NULL;
  dinomaly_pixel_format format;
  dinomaly_status status;
  size_t bytes, size = 0;
  unsigned long width, height;
  uint32_t map_width, map_height;
  const float *map;
  void *pixels;
  int rc = 1;

  while (argc >= 3 && (strcmp (argv[1], "--class") == 0 || strcmp (argv[1], "--rules") == 0))
    {
      if (strcmp (argv[1], "--class") == 0)
        class_name = argv[2];
      else
        rules_path = argv[2];
      argc -= 2;
      argv += 2;
    }
  if (argc != 6 && argc != 7)
    {
      fprintf (stderr, "usage: inspect [--class NAME] [--rules RULES.json] MODEL "
                       "gray8|rgb8|gray16|rgb16 WIDTH HEIGHT FRAME.raw [MAP.f32]\n");
      return 2;
    }
  if (!parse_format (argv[2], &format, &bytes))
    {
      fprintf (stderr, "inspect: unknown format %s\n", argv[2]);
      return 2;
    }
  width = strtoul (argv[3], NULL, 10);
  height = strtoul (argv[4], NULL, 10);
  pixels = read_file (argv[5], &size);
  if (pixels == NULL)
    {
      fprintf (stderr, "inspect: cannot read %s\n", argv[5]);
      return 1;
    }

  status = dinomaly_model_open (argv[1], NULL, class_name, rules_path, 0, &model);
  if (status != DINOMALY_OK)
    {
      fprintf (stderr, "inspect: %s (%s)\n", dinomaly_last_error (), dinomaly_status_name (status));
      goto out;
    }
  /* the library checks the sizes against the buffer: a wrong WIDTH or
   * HEIGHT is an error, not a crash */
  status = dinomaly_inspect (model, pixels, size, (uint32_t)width, (uint32_t)height, width * bytes,
                             format, &result);
  if (status != DINOMALY_OK)
    {
      fprintf (stderr, "inspect: %s: %s (%s)\n", argv[5], dinomaly_last_error (),
               dinomaly_status_name (status));
      goto out;
    }

  map = dinomaly_result_map (result, &map_width, &map_height);
  printf ("score=%.9g decision=%s rule=%s map=%ux%u regions=%zu\n", dinomaly_result_score (result),
          dinomaly_decision_name (dinomaly_result_decision (result)),
          dinomaly_rule_name (dinomaly_result_rule (result)), (unsigned)map_width,
          (unsigned)map_height, dinomaly_result_region_count (result));
  for (size_t i = 0; i < DINOMALY_MAX_REGIONS; i++)
    {
      dinomaly_region region;

      if (dinomaly_result_region (result, i, &region) != DINOMALY_OK)
        break;
      printf ("region x=%u y=%u width=%u height=%u area_px=%llu length_px=%.3f max=%.6g\n",
              (unsigned)region.x, (unsigned)region.y, (unsigned)region.width,
              (unsigned)region.height, (unsigned long long)region.area_px, region.length_px,
              region.max_value);
    }
  if (argc == 7)
    {
      FILE *f = fopen (argv[6], "wb");
      size_t n = (size_t)map_width * map_height;

      if (f == NULL || fwrite (map, sizeof (float), n, f) != n || fclose (f) != 0)
        {
          fprintf (stderr, "inspect: cannot write %s\n", argv[6]);
          goto out;
        }
    }
  rc = 0;

out:
  dinomaly_result_free (result);
  dinomaly_model_close (model);
  free (pixels);
  return rc;
}
