/** 02 §4.10 — package archives stored in the database (core's RegistryStorage). */
import { check, toBytes, type WorkflowRegistryStorageDal } from '@cloacina/core';
import { deleteById, insertRows, type Scope } from './shared/index.js';

export function workflowRegistryStorageDal(x: Scope): WorkflowRegistryStorageDal {
  const { rt } = x;
  const t = rt.t.registry;

  return {
    async storeBinary(data) {
      const bytes = toBytes(data, 'data');
      return x.run(async (s) => {
        const id = rt.newId();
        await insertRows(s, t, [{ id, createdAt: rt.now(), data: bytes }]);
        return id;
      });
    },

    async retrieveBinary(id) {
      const key = check.id(id);
      return x.run(async (s) => {
        const row = await s.first('SELECT data FROM workflow_registry WHERE id = $1', [t.enc('id', key)]);
        if (!row) return null;
        // Empty archives come back as an empty array, never as null.
        return (t.dec('data', row.data) as Uint8Array | null) ?? new Uint8Array(0);
      });
    },

    async deleteBinary(id) {
      const key = check.id(id);
      return x.run((s) => deleteById(s, t, t.enc('id', key)));
    },

    storageType: () => 'database' as const,
  };
}
