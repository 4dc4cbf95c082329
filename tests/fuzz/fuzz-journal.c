/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: what the station reads back from disk. The bytes as
 * one record (dm_part_from_json: an accepted record must write and read
 * back to the same text), as a cursor, as status.json (what the window
 * reads of a station it follows), and as a journal segment: read line
 * by line, then opened for writing (the torn tail cut, the last record
 * found) and read again. */
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>

#include "dm-journal.h"
#include "dm-part.h"
#include "dm-station.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *folder, *segment;

static void
read_all (void)
{
  g_autoptr (DmJournalReader) r = dm_journal_reader_new (folder, NULL);
  g_autoptr (GString) line = g_string_new (NULL);
  DmJournalPosition after;
  int n = 0;

  while (dm_journal_reader_next (r, NULL, line, &after, NULL) == DM_JOURNAL_READ_LINE
         && n++ < 100000)
    {
      g_autoptr (DmPart) p = NULL;

      g_assert (line->len <= DM_PART_MAX_LINE);
      p = dm_part_from_json (line->str, line->len, NULL, NULL);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (DmPart) part = dm_part_from_json ((const char *)data, size, "fuzz", NULL);
  DmJournalPosition position;

  if (part != NULL)
    {
      g_autofree char *json = dm_part_to_json (part);
      g_autoptr (DmPart) again = dm_part_from_json (json, strlen (json), "again", NULL);
      g_autofree char *json2 = NULL;

      g_assert (again != NULL);
      json2 = dm_part_to_json (again);
      g_assert (strcmp (json, json2) == 0);
    }
  dm_journal_cursor_parse ((const char *)data, size, "fuzz", &position, NULL);
  {
    DmStationStatus status;
    gint64 updated;

    if (dm_station_status_from_json ((const char *)data, size, "fuzz", &status, &updated, NULL))
      {
        g_assert (status.n_sources <= DM_STATION_STATUS_MAX_ITEMS);
        g_assert (status.n_sinks <= DM_STATION_STATUS_MAX_ITEMS);
        dm_station_status_clear (&status);
      }
  }

  if (folder == NULL)
    {
      folder = g_dir_make_tmp ("fuzz-journal-XXXXXX", NULL);
      segment = g_build_filename (folder, "journal-00000001-20261207.jsonl", NULL);
    }
  if (!g_file_set_contents (segment, (const char *)data, (gssize)size, NULL))
    return 0;
  read_all ();
  {
    g_autoptr (DmJournal) j = dm_journal_open (folder, 0, NULL);

    if (j != NULL)
      {
        DmJournalPosition committed;

        dm_journal_get_committed (j, &committed);
        g_assert (committed.offset <= size);
      }
  }
  read_all ();
  return 0;
}
