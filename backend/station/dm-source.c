/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every source shares: "[CLASS=]KIND:ARGUMENT" parsed into a source
 * of that kind, its status, frames handed over without waiting, and the
 * "?key=value&..." options of a URI (dm-station-private.h). */
#include "dm-station-private.h"

#include <stdlib.h>
#include <string.h>

#include "dm-error.h"

typedef gboolean (*SourceInit) (DmSource *source, const char *argument, GError **error);

static const struct
{
  const char *kind;
  SourceInit init;
} kinds[] = {
  { "folder", dm_source_folder_init },
  { "gst", dm_source_gst_init },
  { "genicam", dm_source_genicam_init },
  { "generate", dm_source_generate_init },
};

DmSource *
dm_source_new (DmStation *station, const char *spec, GError **error)
{
  const DmStationSettings *settings = dm_station_get_settings (station);
  const char *colon = strchr (spec, ':');
  const char *eq = strchr (spec, '=');
  g_autofree char *class_name = NULL;
  g_autofree char *kind = NULL;
  DmSource *source;

  /* "CLASS=" only before the kind's colon: gst pipelines hold '=' too */
  if (eq != NULL && colon != NULL && eq < colon)
    {
      class_name = g_strndup (spec, (gsize)(eq - spec));
      spec = eq + 1;
      colon = strchr (spec, ':');
    }
  else
    class_name = g_strdup (settings->default_class);
  if (colon == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "source '%s': give KIND:ARGUMENT (folder:, gst:, genicam: or generate:)", spec);
      return NULL;
    }
  if (class_name == NULL || !g_hash_table_contains (settings->classes, class_name))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   class_name == NULL ? "source '%s': which class? Write CLASS=%s or give --class"
                                      : "source '%s': no thresholds for class '%s'",
                   spec, class_name != NULL ? class_name : spec);
      return NULL;
    }
  kind = g_strndup (spec, (gsize)(colon - spec));
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kind, kinds[i].kind) == 0)
      {
        source = g_new0 (DmSource, 1);
        g_mutex_init (&source->lock);
        source->station = station;
        source->uri = g_strdup (spec);
        source->class_name = g_steal_pointer (&class_name);
        source->state = g_strdup ("idle");
        if (!kinds[i].init (source, colon + 1, error))
          {
            dm_source_free (source);
            return NULL;
          }
        return source;
      }
  g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
               "source '%s': unknown kind '%s' (folder:, gst:, genicam: or generate:)", spec, kind);
  return NULL;
}

void
dm_source_free (DmSource *source)
{
  if (source == NULL)
    return;
  if (source->ops != NULL && source->ops->free != NULL)
    source->ops->free (source);
  g_free (source->uri);
  g_free (source->class_name);
  g_free (source->state);
  g_mutex_clear (&source->lock);
  g_free (source);
}

void
dm_source_set_state (DmSource *source, const char *format, ...)
{
  va_list args;
  char *state;

  va_start (args, format);
  state = g_strdup_vprintf (format, args);
  va_end (args);
  g_mutex_lock (&source->lock);
  if (g_strcmp0 (source->state, state) != 0)
    g_message ("%s: %s", source->uri, state);
  g_free (source->state);
  source->state = state;
  g_mutex_unlock (&source->lock);
}

void
dm_source_get_status (DmSource *source, DmSourceStatus *status)
{
  g_mutex_lock (&source->lock);
  status->uri = g_strdup (source->uri);
  status->state = g_strdup (source->state);
  status->taken = source->taken;
  status->dropped = source->dropped;
  status->skipped = source->skipped;
  status->failures = source->failures;
  g_mutex_unlock (&source->lock);
}

void
dm_source_submit_frame (DmSource *source, DmImage *image, gint64 frame)
{
  DmStationJob *job = dm_station_job_new (source, source->class_name);
  gboolean accepting = dm_station_accepting (source->station);

  job->image = image;
  job->part->frame = frame;
  if (accepting && dm_station_submit (source->station, job, FALSE))
    {
      g_mutex_lock (&source->lock);
      source->taken++;
      g_mutex_unlock (&source->lock);
      return;
    }
  g_mutex_lock (&source->lock);
  if (accepting)
    {
      /* never silently: counted, reported in the status and the log */
      if (source->dropped == 0 || source->dropped % 100 == 0)
        g_warning ("%s: frame %" G_GINT64_FORMAT
                   " dropped: the station's queue is full (%" G_GUINT64_FORMAT " dropped so far)",
                   source->uri, frame, source->dropped + 1);
      source->dropped++;
    }
  else
    source->skipped++;
  g_mutex_unlock (&source->lock);
  dm_station_job_free (job);
}

GHashTable *
dm_station_parse_options (const char *uri,
                          const char *query,
                          const char *const *allowed,
                          GError **error)
{
  g_autoptr (GHashTable) options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) pairs = NULL;

  if (query == NULL || *query == '\0')
    return g_steal_pointer (&options);
  pairs = g_strsplit (query, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      char *eq = strchr (pairs[i], '=');
      g_autofree char *key
        = g_strndup (pairs[i], eq != NULL ? (gsize)(eq - pairs[i]) : strlen (pairs[i]));
      g_autofree char *value = g_uri_unescape_string (eq != NULL ? eq + 1 : "1", NULL);

      if (*pairs[i] == '\0')
        continue;
      if (!g_strv_contains (allowed, key) || value == NULL)
        {
          g_autofree char *known = g_strjoinv (", ", (char **)allowed);

          g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: unknown option '%s' (known: %s)",
                       uri, key, known);
          return NULL;
        }
      g_hash_table_replace (options, g_steal_pointer (&key), g_steal_pointer (&value));
    }
  return g_steal_pointer (&options);
}

gboolean
dm_station_option_double (GHashTable *options,
                          const char *uri,
                          const char *key,
                          double low,
                          double high,
                          double *value,
                          GError **error)
{
  const char *text = g_hash_table_lookup (options, key);
  char *end = NULL;
  double v;

  if (text == NULL)
    return TRUE;
  v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !(v >= low && v <= high))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: option %s=%s: give a number from %g to %g", uri, key, text, low, high);
      return FALSE;
    }
  *value = v;
  return TRUE;
}
