/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly station`: a trained model at work on the line, unattended —
 * parts from hot folders, GStreamer pipelines and GenICam cameras, one
 * journal record each, results to files, MQTT, webhooks and PLCs. */
#include "config.h"

#include "dm-cli-station-private.h"
#include "dm-cli.h"

#define SUMMARY                                                                                    \
  "Runs a trained model on the line. Sources hand parts over, each part is\n"                      \
  "scored and decided by the class's thresholds (pass, uncertain, fail, or\n"                      \
  "error with the reason), one record per part is committed to the journal\n"                      \
  "(JSON Lines, fsync'd), and every output delivers the journal's records in\n"                    \
  "order from its own cursor: an output that is down delays, never loses.\n\n"                     \
  "Sources:\n"                                                                                     \
  "  folder:PATH[?move=1&settle=MS&pattern=GLOB,...]  a hot folder: image files\n"                 \
  "      (*.png, *.jpg, *.jpeg, *.tif, *.tiff unless pattern= says) taken once\n"                  \
  "      complete (closed after writing, or renamed in), each scored once across\n"                \
  "      restarts; move=1 moves them to pass/ uncertain/ fail/ error/ beside them\n"               \
  "  gst:PIPELINE      frames of a GStreamer pipeline (an appsink is appended)\n"                  \
  "  genicam:ID[?trigger=software&rate=HZ&pixel-format=F]  a GigE Vision or USB3\n"                \
  "      Vision camera through Aravis; reconnects with back-off\n"                                 \
  "  generate:RATE[?size=WxH&count=N]  frames made up at RATE per second\n"                        \
  "  CLASS=URI         parts of another class than --class\n"                                      \
  "Outputs: jsonl:PATH, csv:PATH, mqtt://HOST:PORT/PREFIX (QoS 1, PREFIX/parts and\n"              \
  "  a retained PREFIX/status), http://HOST:PORT/PATH (a POST per part, retried),\n"               \
  "  modbus://HOST:PORT/UNIT (decision on coils and holding registers).\n\n"                       \
  "A model without thresholds needs --threshold (and --band) or --calibrate.\n"                    \
  "SIGINT and SIGTERM drain the queues and the outputs, then stop; SIGHUP\n"                       \
  "reopens the log. FOLDER/status.json holds the status, updated every second."

int
dm_cli_station (int argc, char **argv)
{
  DmCliStationOptions options;
  g_autofree GOptionEntry *entries = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmStation) station = NULL;
  DmStationSettings settings;
  int rc;

  dm_cli_station_options_init (&options);
  dm_station_settings_init (&settings);
  entries = dm_cli_station_entries (&options, TRUE);
  if (!dm_cli_parse ("station", NULL, SUMMARY, entries, &argc, &argv))
    {
      rc = DM_CLI_USAGE;
      goto out;
    }
  if (argc > 1)
    {
      rc = dm_cli_usage_error ("station", "unexpected argument: sources are given with --source");
      goto out;
    }
  if (options.sources == NULL)
    {
      rc = dm_cli_usage_error ("station", "give at least one --source");
      goto out;
    }
  if (!dm_cli_station_open_log ("station", options.log_path))
    {
      rc = DM_CLI_FAILED;
      goto out;
    }
  if (!dm_cli_station_settings ("station", &options, &settings, &rc))
    goto out;
  station = dm_station_new (&settings, &error);
  if (station == NULL || !dm_station_start (station, &error))
    {
      dm_cli_print_error ("station", error);
      rc = DM_CLI_FAILED;
      goto out;
    }
  g_message ("station running: model %s (SHA-256 %.12s...), journal %s", settings.model_path,
             dm_station_get_model_sha256 (station), settings.journal);
  rc = dm_cli_station_run ("station", station, &options);

out:
  g_clear_pointer (&station, dm_station_free);
  dm_cli_station_close_log ();
  dm_station_settings_clear (&settings);
  dm_cli_station_options_clear (&options);
  return rc;
}
