/** `workflowPackages` module (02 §4.9): package metadata pointing at a stored archive. */
import {
  assertStorageType,
  check,
  PackageExistsError,
  ValidationError,
  WORKFLOW_PACKAGES,
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
      const registry = check.id(registryId, 'registryId');
      const metadata = check.jsonObject(manifest, 'manifest');
      const packageName = check.text(metadata.name, 'manifest.name', { max: 255 });
      const version = check.text(metadata.version, 'manifest.version', { max: 100 });
      const description = check.optionalText(metadata.description, 'manifest.description');
      const author = check.optionalText(metadata.author, 'manifest.author', 255);
      const storage = assertStorageType(storageType);
      return scope.write(async (c) => {
        const now = env.now();
        // Insert-if-absent on (name, version): the conflict is a typed error, not a database error.
        const raw = await insertIfAbsent(
          c,
          WORKFLOW_PACKAGES,
          {
            id: env.newId(),
            registryId: registry,
            packageName,
            version,
            description,
            author,
            metadata,
            storageType: storage,
            createdAt: now,
            updatedAt: now,
          },
          ['package_name', 'version'],
        );
        if (!raw) throw new PackageExistsError(packageName, version);
        return bytesId(raw.id as Buffer);
      });
    },

    async getPackageMetadata(name, version) {
      const n = nameArg(name, 'name');
      const v = nameArg(version, 'version');
      const row = await scope.read((q) => q.get('SELECT * FROM workflow_packages WHERE package_name = ? AND version = ?', [n, v]));
      return row ? decode.pkg(row) : null;
    },

    async getPackageMetadataById(rawId) {
      const id = check.id(rawId);
      const row = await scope.read((q) => q.get('SELECT * FROM workflow_packages WHERE id = ?', [U(id)]));
      return row ? decode.pkg(row) : null;
    },

    async listAllPackages(): Promise<WorkflowPackage[]> {
      const rows = await scope.read((q) => q.all('SELECT * FROM workflow_packages ORDER BY package_name, version, id'));
      return rows.map(decode.pkg);
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
