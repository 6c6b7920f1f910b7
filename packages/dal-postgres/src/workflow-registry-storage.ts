/** `workflowRegistryStorage` module (02 §4.10): package archives stored as bytea. */
import { check, toBuffer, toBytes, type WorkflowRegistryStorageDal } from '@cloacina/core';
import type { Exec } from './executor.js';
import { ts } from './shared.js';

export function createWorkflowRegistryStorageDal(e: Exec): WorkflowRegistryStorageDal {
  return {
    async storeBinary(data) {
      const bytes = toBuffer(toBytes(data, 'data'));
      const id = e.newId();
      await e.query('INSERT INTO workflow_registry (id, created_at, data) VALUES ($1, $2, $3)', [id, ts(e.now()), bytes]);
      return id;
    },

    async retrieveBinary(id) {
      const rows = await e.rows<{ data: Buffer }>('SELECT data FROM workflow_registry WHERE id = $1', [check.id(id)]);
      if (rows.length === 0) return null;
      const b = rows[0]!.data;
      // A plain Uint8Array view (records expose Uint8Array, not Buffer); empty stays empty.
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    },

    async deleteBinary(id) {
      const r = await e.query('DELETE FROM workflow_registry WHERE id = $1', [check.id(id)]);
      return r.rowCount > 0;
    },

    storageType: () => 'database',
  };
}
