/** `workflowPackages` module (02 §4.9): package metadata pointing at a stored archive. */
import { check, PackageExistsError, packageMetadataInput, WORKFLOW_PACKAGES, workflowPackageRecord, type WorkflowPackagesDal } from '@cloacina/core';
import type { Exec } from './executor.js';
import { decode, encodeRow } from './shared.js';

export function createWorkflowPackagesDal(e: Exec): WorkflowPackagesDal {
  return {
    async storePackageMetadata(registryId, manifest, storageType = 'database') {
      const v = packageMetadataInput(registryId, manifest, storageType);
      const now = e.now();
      const { columns, values } = encodeRow(WORKFLOW_PACKAGES, workflowPackageRecord(e.newId(), v, now));
      // Insert-if-absent on (name, version): a duplicate is PackageExistsError and leaves an
      // enclosing transaction usable.
      const rows = await e.rows<{ id: string }>(
        `INSERT INTO workflow_packages (${columns.join(', ')}) VALUES (${values.map((_, n) => `$${n + 1}`).join(', ')})
         ON CONFLICT ON CONSTRAINT workflow_packages_name_version_key DO NOTHING RETURNING id`,
        values,
      );
      if (rows.length === 0) throw new PackageExistsError(v.packageName, v.version);
      return rows[0]!.id;
    },

    async getPackageMetadata(name, version) {
      const rows = await e.rows('SELECT * FROM workflow_packages WHERE package_name = $1 AND version = $2', [
        check.text(name, 'name', { min: 0 }),
        check.text(version, 'version', { min: 0 }),
      ]);
      return rows.length > 0 ? decode.workflowPackage(rows[0]!) : null;
    },

    async getPackageMetadataById(id) {
      const rows = await e.rows('SELECT * FROM workflow_packages WHERE id = $1', [check.id(id)]);
      return rows.length > 0 ? decode.workflowPackage(rows[0]!) : null;
    },

    async listAllPackages() {
      // text columns use the "C" collation, so this order is byte-wise on every server.
      const rows = await e.rows('SELECT * FROM workflow_packages ORDER BY package_name, version, id');
      return rows.map(decode.workflowPackage);
    },

    async deletePackageMetadata(name, version) {
      const r = await e.query('DELETE FROM workflow_packages WHERE package_name = $1 AND version = $2', [
        check.text(name, 'name', { min: 0 }),
        check.text(version, 'version', { min: 0 }),
      ]);
      return r.rowCount > 0;
    },

    async deletePackageMetadataById(id) {
      const r = await e.query('DELETE FROM workflow_packages WHERE id = $1', [check.id(id)]);
      return r.rowCount > 0;
    },
  };
}
