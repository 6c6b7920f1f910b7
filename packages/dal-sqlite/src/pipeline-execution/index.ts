/** `pipelineExecution` module (02 §4.2): creation, transitions and plain reads/updates. */
import { check, mustFind, optionalId, type PipelineExecution, type PipelineExecutionDal } from '@cloacina/core';
import { decode, requireChanged, TS, U } from '../internal.js';
import type { Scope } from '../scope.js';
import { createRunMethods } from './create.js';
import { createTransitionMethods } from './transitions.js';

export function createPipelineExecutionDal(scope: Scope): PipelineExecutionDal {
  const { env } = scope;

  const findById = async (rawId: string): Promise<PipelineExecution | null> => {
    const id = check.id(rawId);
    const row = await scope.read((q) => q.get('SELECT * FROM pipeline_executions WHERE id = ?', [U(id)]));
    return row ? decode.pipeline(row) : null;
  };

  return {
    ...createRunMethods(scope),
    ...createTransitionMethods(scope),

    findById,

    getById: mustFind('PipelineExecution', findById),

    async getActiveExecutions() {
      const rows = await scope.read((q) => q.all("SELECT * FROM pipeline_executions WHERE status IN ('Pending', 'Running') ORDER BY id"));
      return rows.map(decode.pipeline);
    },

    async getLastVersion(pipelineName) {
      const name = check.text(pipelineName, 'pipelineName', { min: 0 });
      const row = await scope.read((q) =>
        q.get<{ pipeline_version: string }>(
          'SELECT pipeline_version FROM pipeline_executions WHERE pipeline_name = ? ORDER BY started_at DESC, id DESC LIMIT 1',
          [name],
        ),
      );
      return row ? row.pipeline_version : null;
    },

    async incrementRecoveryAttempts(rawId) {
      const id = check.id(rawId);
      await scope.write(async (c) => {
        const now = TS(env.now());
        const { changes } = await c.run(
          'UPDATE pipeline_executions SET recovery_attempts = recovery_attempts + 1, last_recovery_at = ?, updated_at = ? WHERE id = ?',
          [now, now, U(id)],
        );
        requireChanged(changes, 'PipelineExecution', id);
      });
    },

    async updateFinalContext(rawId, contextId) {
      const id = check.id(rawId);
      const ctx = optionalId(contextId, 'contextId');
      await scope.write(async (c) => {
        const { changes } = await c.run('UPDATE pipeline_executions SET final_context_id = ?, updated_at = ? WHERE id = ?', [
          ctx === null ? null : U(ctx),
          TS(env.now()),
          U(id),
        ]);
        requireChanged(changes, 'PipelineExecution', id);
      });
    },

    async listRecent(limit) {
      check.limit(limit);
      const rows = await scope.read((q) => q.all('SELECT * FROM pipeline_executions ORDER BY started_at DESC, id DESC LIMIT ?', [limit]));
      return rows.map(decode.pipeline);
    },

    async delete(rawId) {
      const id = check.id(rawId);
      return scope.write(async (c) => (await c.run('DELETE FROM pipeline_executions WHERE id = ?', [U(id)])).changes > 0);
    },
  };
}
