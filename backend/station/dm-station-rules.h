/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The model and the rules a station (or `dinomaly serve`) runs with: from
 * a model file and a class (thresholds and uncertain band stored in the
 * file), or from a Studio project and a class (the project's active model
 * and the thresholds the user set on the Review page); then overridden by
 * thresholds given on the command line or calibrated from good parts. */
#pragma once

#include "dm-station.h"

G_BEGIN_DECLS

/* Sets settings' model, backbone, default class and that class's
 * thresholds (NAN members where the file has none) and inspection rules. class_name NULL: the
 * model's only class. Errors name the file and the classes it has. */
gboolean dm_station_rules_from_model (DmStationSettings *settings,
                                      const char *model_path,
                                      const char *backbone_path,
                                      const char *class_name,
                                      GError **error);

/* The same from a project folder: its trained model (an error when it has
 * none yet), its backbone file, and the class's thresholds and rules. */
gboolean dm_station_rules_from_project (DmStationSettings *settings,
                                        const char *project_folder,
                                        const char *class_name,
                                        GError **error);

/* The project's own station as its Line page sets it up
 * (dm-project-line.h): the active model and its version, the thresholds of
 * every class with a source, the sources (as "CLASS=URI"), the outputs,
 * the journal folder and the sample of passes kept. Errors when nothing is
 * trained yet, the line has no source, or a class is gone. */
gboolean dm_station_settings_from_project_line (DmStationSettings *settings,
                                                const char *project_folder,
                                                GError **error);

/* The default class's thresholds: image (NAN: keep), the band (NAN: keep),
 * or calibrated from a folder of good parts at quantile (folder NULL: no).
 * Calibration notes (files that failed) go to notes (may be NULL). */
gboolean dm_station_rules_override (DmStationSettings *settings,
                                    double image,
                                    double band_low,
                                    double band_high,
                                    const char *calibrate_folder,
                                    double quantile,
                                    GPtrArray *notes,
                                    GError **error);

/* The default class's thresholds, or NULL. */
const DmThresholds *dm_station_rules_get (const DmStationSettings *settings);

G_END_DECLS
