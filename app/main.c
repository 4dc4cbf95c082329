/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Entry point of the Dinomaly Studio window application. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include "dm-application.h"

/* oneDNN's OpenMP threads spin while they wait by default. Training and
 * inference run beside the main loop here, and a spinning thread takes the
 * core the main thread needs to draw: the window would stutter. libgomp
 * reads the policy once, when it loads, so it is set before start by
 * running the program again with it (unless the user chose one). */
static void
ensure_passive_openmp (char *argv[])
{
  if (getenv ("OMP_WAIT_POLICY") != NULL)
    return;
  setenv ("OMP_WAIT_POLICY", "passive", 1);
  execv ("/proc/self/exe", argv);
  /* no /proc: carry on with the default policy */
}

int
main (int argc, char *argv[])
{
  g_autoptr (DmApplication) app = NULL;

  ensure_passive_openmp (argv);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = dm_application_new (G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
