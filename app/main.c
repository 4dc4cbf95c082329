/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Entry point of the Dinomaly Studio window application. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "dm-application.h"
#include "dm-openmp-policy.h"

/* oneDNN's OpenMP threads spin while they wait, by default for
 * milliseconds: training and inference run beside the main loop here, and
 * a spinning thread takes the core the main thread needs to draw. Passive
 * waiting (sleep at once) cost inference at batch 1 a third of its speed.
 * The window waits for a bounded spin instead (dm-openmp-policy.h). */
int
main (int argc, char *argv[])
{
  g_autoptr (DmApplication) app = NULL;

  dm_openmp_policy_apply (argv);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = dm_application_new (G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
