/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Train page's "Memory Needed": the estimate of the project's next
 * run (dm_project_train_memory: encoder, feature cache, decoder and
 * optimiser, activations), computed off the main thread from the project
 * as saved, and said in words with a warning when the machine has less. */
#pragma once

#include "dm-job.h"
#include "dm-project.h"

G_BEGIN_DECLS

/* A job for the project as it is saved in its folder (not started). */
DmJob *dm_train_memory_job_new (const DmProject *project);

/* After the job: what to show; *too_much is TRUE when the run needs more
 * memory than this machine has. */
char *dm_train_memory_job_describe (DmJob *job, gboolean *too_much);

G_END_DECLS
