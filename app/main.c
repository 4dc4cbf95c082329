/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Entry point of the Dinomaly Studio window application. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "dm-application.h"

int
main (int argc, char *argv[])
{
  g_autoptr (DmApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = dm_application_new (G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
