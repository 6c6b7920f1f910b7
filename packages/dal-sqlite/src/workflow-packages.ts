/** `workflowPackages` module (02 §4.9): package metadata pointing at a stored archive. */
import {
  check,
  PackageExistsError,
  packageMetadataInput,
  ValidationError,
  WORKFLOW_PACKAGES,
  workflowPackageRecord,
  type WorkflowPackage,
  type WorkflowPackagesDal,
} from '@cloacina/core';
import { bytesId, decode, insertIfAbsent, U } from './internal.js';
import type { Scope } from './scope.js';

const nameArg = (v: unknown, field: string): string => {
  if (typeof v !== 'string') throw new ValidationError(`${field} must be a string`, { field });
  return v;
};

export function createWorkflowPackagesDal(scope: Scope): WorkflowPackagesDal {
  const { env } = scope;

  return {
    async storePackageMetadata(registryId, manifest, storageType = 'database') {
      const v = packageMetadataInput(registryId, manifest, storageType);
      return scope.write(async (c) => {
        const now = env.now();
        // Insert-if-absent on (name, version): the conflict is a typed error, not a database error.
        const raw = await insertIfAbsent(c, WORKFLOW_PACKAGES, workflowPackageRecord(env.newId(), v, now), ['package_name', 'version']);
        if (!raw) throw new PackageExistsError(v.packageName, v.version);
        return bytesId(raw.id as Buffer);
      });
    },

    async getPackageMetadata(name, version) {
      const n = nameArg(name, 'name');
      const v = nameArg(version, 'version');
      const row = await scope.read((q) => q.get('SELECT * FROM workflow_packages WHERE package_name = ? AND version = ?', [n, v]));
      return row ? decode.workflowPackage(row) : null;
    },

    async getPackageMetadataById(rawId) {
      const id = check.id(rawId);
      const row = await scope.read((q) => q.get('SELECT * FROM workflow_packages WHERE id = ?', [U(id)]));
      return row ? decode.workflowPackage(row) : null;
    },

    async listAllPackages(): Promise<WorkflowPackage[]> {
      const rows = await scope.read((q) => q.all('SELECT * FROM workflow_packages ORDER BY package_name, version, id'));
      return rows.map(decode.workflowPackage);
    },

    async deletePackageMetadata(name, version) {
      const n = nameArg(name, 'name');
      const v = nameArg(version, 'version');
      return scope.write(async (c) => (await c.run('DELETE FROM workflow_packages WHERE package_name = ? AND version = ?', [n, v])).changes > 0);
    },

    async deletePackageMetadataById(rawId) {
      const id = check.id(rawId);
      return scope.write(async (c) => (await c.run('DELETE FROM workflow_packages WHERE id = ?', [U(id)])).changes > 0);
    },
  };
}
