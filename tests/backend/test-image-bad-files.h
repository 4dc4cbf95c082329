/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared between the two files of test-image-codecs. */
#pragma once

#include <glib.h>

char *corpus_path (const char *name);
guint8 *read_all (const char *path, gsize *size);
void test_bad_files (void);
