/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the inspection rules' JSON parser (ROI shapes,
 * calibration, region limits) on arbitrary bytes; what it accepts must
 * rasterise, write and read back equal. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-rules.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static guint8 mask[DM_ANOMALY_MAP_SIZE * DM_ANOMALY_MAP_SIZE];
  GError *error = NULL;
  DmRules *rules = dm_rules_parse ((const char *)data, size, "fuzz-input", &error);
  DmRules *back;
  char *json;

  if (rules == NULL)
    {
      /* every refusal must say something */
      if (error == NULL || error->message == NULL || error->message[0] == '\0')
        __builtin_trap ();
      g_error_free (error);
      return 0;
    }
  /* what is accepted can be used: shapes are rasterised for the map
   * (bounded work: at most DM_ROI_MAX_TOTAL_POINTS per row) */
  if (!dm_roi_is_empty (rules->roi) && dm_roi_n_shapes (rules->roi) <= 64)
    dm_roi_map_mask (rules->roi, rules->ref_width, rules->ref_height, 448, 392, mask);
  json = dm_rules_to_json (rules, FALSE);
  back = dm_rules_parse (json, strlen (json), "round trip", NULL);
  if (back == NULL || !dm_rules_equal (rules, back))
    __builtin_trap ();
  dm_rules_free (back);
  g_free (json);
  dm_rules_free (rules);
  return 0;
}
