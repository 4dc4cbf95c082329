/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmOpenProject: the window's project as a reference-counted object. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-error.h"
#include "dm-open-project.h"
#include "dm-project-audit.h"

struct _DmOpenProject
{
  GObject parent_instance;

  DmProject *project;
  DmProjectClass *removed; /* kept for undo, or NULL */
  guint removed_index;
  GPtrArray *pending_audit; /* PendingAudit*: changes coming in bursts */
  guint audit_timeout;
};

G_DEFINE_FINAL_TYPE (DmOpenProject, dm_open_project, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

DmOpenProject *
dm_open_project_new (DmProject *project)
{
  DmOpenProject *self = g_object_new (DM_TYPE_OPEN_PROJECT, NULL);

  g_return_val_if_fail (project != NULL, self);
  self->project = project;
  return self;
}

DmProject *
dm_open_project_get_project (DmOpenProject *self)
{
  g_return_val_if_fail (DM_IS_OPEN_PROJECT (self), NULL);
  return self->project;
}

void
dm_open_project_changed (DmOpenProject *self, const char *part)
{
  g_return_if_fail (DM_IS_OPEN_PROJECT (self));
  g_signal_emit (self, signals[CHANGED], g_quark_from_string (part));
}

gboolean
dm_open_project_save (DmOpenProject *self, const char *part, GError **error)
{
  gboolean saved;

  g_return_val_if_fail (DM_IS_OPEN_PROJECT (self), FALSE);
  saved = dm_project_save (self->project, error);
  /* what is on screen follows the change, saved or not */
  dm_open_project_changed (self, part);
  return saved;
}

gboolean
dm_open_project_remove_class (DmOpenProject *self, const char *name)
{
  GPtrArray *classes = self->project->classes;
  DmProjectClass *removed;
  guint index = 0;

  while (index < classes->len
         && g_strcmp0 (((DmProjectClass *)classes->pdata[index])->name, name) != 0)
    index++;
  removed = dm_project_remove_class (self->project, name);
  if (removed == NULL)
    return FALSE;
  g_clear_pointer (&self->removed, dm_project_class_free);
  self->removed = removed;
  self->removed_index = index;
  return TRUE;
}

const char *
dm_open_project_get_removed_class (DmOpenProject *self)
{
  return self->removed != NULL ? self->removed->name : NULL;
}

gboolean
dm_open_project_undo_remove_class (DmOpenProject *self, GError **error)
{
  g_return_val_if_fail (self->removed != NULL, FALSE);
  /* a class renamed or added since may have taken the name */
  if (dm_project_find_class (self->project, self->removed->name) != NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   _ ("“%s” cannot come back: another class has its name now"),
                   self->removed->name);
      g_clear_pointer (&self->removed, dm_project_class_free);
      return FALSE;
    }
  dm_project_insert_class (self->project, g_steal_pointer (&self->removed), self->removed_index);
  return TRUE;
}

/* ---- the audit trail ---- */

#define AUDIT_REST_MS 1500

typedef struct
{
  char *action, *target, *value, *previous;
} PendingAudit;

static void
pending_audit_free (PendingAudit *p)
{
  g_free (p->action);
  g_free (p->target);
  g_free (p->value);
  g_free (p->previous);
  g_free (p);
}

static void flush_pending (DmOpenProject *self, gboolean emit);

static gboolean
audit_write (DmOpenProject *self,
             const char *action,
             const char *target,
             const char *value,
             const char *previous,
             GError **error)
{
  g_autoptr (DmAuditEntry) e
    = dm_audit_entry_new (action, target, value, previous, self->project->active_version);

  return dm_audit_append (self->project->folder, e, error);
}

gboolean
dm_open_project_audit (DmOpenProject *self,
                       const char *action,
                       const char *target,
                       const char *value,
                       const char *previous,
                       GError **error)
{
  g_return_val_if_fail (DM_IS_OPEN_PROJECT (self), FALSE);
  /* a burst still at rest goes first: the trail keeps the order things
   * were done in */
  flush_pending (self, TRUE);
  if (!audit_write (self, action, target, value, previous, error))
    return FALSE;
  dm_open_project_changed (self, "audit");
  return TRUE;
}

/* emit: FALSE while the object is being finalized (no signals then) */
static void
flush_pending (DmOpenProject *self, gboolean emit)
{
  g_autoptr (GPtrArray) pending = g_steal_pointer (&self->pending_audit);

  g_clear_handle_id (&self->audit_timeout, g_source_remove);
  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      PendingAudit *p = pending->pdata[i];
      g_autoptr (GError) error = NULL;

      /* moved and moved back: nothing happened */
      if (g_strcmp0 (p->value, p->previous) == 0)
        continue;
      if (!audit_write (self, p->action, p->target, p->value, p->previous, &error))
        g_warning ("%s", error->message);
    }
  if (emit && pending != NULL && pending->len > 0)
    dm_open_project_changed (self, "audit");
}

void
dm_open_project_audit_flush (DmOpenProject *self)
{
  g_return_if_fail (DM_IS_OPEN_PROJECT (self));
  flush_pending (self, TRUE);
}

static gboolean
on_audit_rested (gpointer data)
{
  DmOpenProject *self = data;

  self->audit_timeout = 0;
  dm_open_project_audit_flush (self);
  return G_SOURCE_REMOVE;
}

void
dm_open_project_audit_later (DmOpenProject *self,
                             const char *action,
                             const char *target,
                             const char *value,
                             const char *previous)
{
  PendingAudit *p = NULL;

  g_return_if_fail (DM_IS_OPEN_PROJECT (self));
  if (self->pending_audit == NULL)
    self->pending_audit = g_ptr_array_new_with_free_func ((GDestroyNotify)pending_audit_free);
  for (guint i = 0; i < self->pending_audit->len && p == NULL; i++)
    {
      PendingAudit *q = self->pending_audit->pdata[i];

      if (g_str_equal (q->action, action) && g_strcmp0 (q->target, target) == 0)
        p = q;
    }
  if (p == NULL)
    {
      p = g_new0 (PendingAudit, 1);
      p->action = g_strdup (action);
      p->target = g_strdup (target);
      p->previous = g_strdup (previous);
      g_ptr_array_add (self->pending_audit, p);
    }
  g_free (p->value);
  p->value = g_strdup (value);
  g_clear_handle_id (&self->audit_timeout, g_source_remove);
  self->audit_timeout = g_timeout_add (AUDIT_REST_MS, on_audit_rested, self);
}

static void
dm_open_project_finalize (GObject *object)
{
  DmOpenProject *self = DM_OPEN_PROJECT (object);

  /* the last moves of a slider are recorded before the project goes */
  flush_pending (self, FALSE);
  g_clear_pointer (&self->removed, dm_project_class_free);
  g_clear_pointer (&self->project, dm_project_free);
  G_OBJECT_CLASS (dm_open_project_parent_class)->finalize (object);
}

static void
dm_open_project_class_init (DmOpenProjectClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dm_open_project_finalize;
  signals[CHANGED]
    = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0,
                    NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
dm_open_project_init (DmOpenProject *self)
{
}
