/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Entry point of the `dinomaly` command line. */
#include "dm-cli.h"

int
main (int argc, char *argv[])
{
  return dm_cli_run (argc, argv);
}
