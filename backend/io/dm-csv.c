/* SPDX-License-Identifier: GPL-3.0-or-later */
/* CSV fields as RFC 4180 writes them. */
#include "dm-csv.h"

#include <string.h>

void
dm_csv_append_field (GString *out, const char *text)
{
  const char *field = text != NULL ? text : "";

  if (strpbrk (field, ",\"\r\n") == NULL)
    {
      g_string_append (out, field);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = field; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}
