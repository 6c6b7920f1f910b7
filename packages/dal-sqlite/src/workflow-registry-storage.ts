/** `workflowRegistryStorage` module (02 §4.10): package archives stored as BLOBs. */
import { check, toBytes, WORKFLOW_REGISTRY, type WorkflowRegistryStorageDal } from '@cloacina/core';
import { decode, insertRows, U } from './internal.js';
import type { Scope } from './scope.js';

export function createWorkflowRegistryStorageDal(scope: Scope): WorkflowRegistryStorageDal {
  const { env } = scope;
  return {
    async storeBinary(data) {
      const bytes = toBytes(data, 'data');
      return scope.write(async (c) => {
        const id = env.newId();
        await insertRows(c, WORKFLOW_REGISTRY, [{ id, createdAt: env.now(), data: bytes }]);
        return id;
      });
    },

    async retrieveBinary(rawId) {
      const id = check.id(rawId);
      const row = await scope.read((q) => q.get('SELECT data FROM workflow_registry WHERE id = ?', [U(id)]));
      // An empty archive comes back as an empty array, never null.
      return row ? decode.registry(row).data : null;
    },

    async deleteBinary(rawId) {
      const id = check.id(rawId);
      return scope.write(async (c) => (await c.run('DELETE FROM workflow_registry WHERE id = ?', [U(id)])).changes > 0);
    },

    storageType: () => 'database' as const,
  };
}
