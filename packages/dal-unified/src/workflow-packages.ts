/** 02 §4.9 — workflow package metadata. */
import {
  check,
  PackageExistsError,
  packageMetadataInput,
  workflowPackageRecord,
  type WorkflowPackage,
  type WorkflowPackagesDal,
} from '@cloacina/core';
import { deleteById, findById, type Scope } from './shared/index.js';

export function workflowPackagesDal(x: Scope): WorkflowPackagesDal {
  const { rt } = x;
  const t = rt.t.packages;

  return {
    async storePackageMetadata(registryId, manifest, storageType = 'database') {
      const v = packageMetadataInput(registryId, manifest, storageType);
      return x.run(async (s) => {
        const now = rt.now();
        const id = rt.newId();
        const values = t.row(workflowPackageRecord(id, v, now));
        // Insert-if-absent on (package_name, version): a duplicate is a typed error, not a database error.
        const inserted = await s.first(
          `INSERT INTO workflow_packages (${t.columnList}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})
           ON CONFLICT (package_name, version) DO NOTHING RETURNING id`,
          values,
        );
        if (!inserted) throw new PackageExistsError(v.packageName, v.version);
        return id;
      });
    },

    async getPackageMetadata(name, version) {
      const n = check.text(name, 'name', { min: 0 });
      const v = check.text(version, 'version', { min: 0 });
      return x.run(async (s) => {
        const [found] = await s.many<WorkflowPackage>(t.entity, (qb) => qb.where('t.packageName = :n AND t.version = :v', { n, v }));
        return found ?? null;
      });
    },

    async getPackageMetadataById(id) {
      const key = check.id(id);
      return x.run((s) => findById(s, t, t.enc('id', key)));
    },

    async listAllPackages() {
      return x.run((s) =>
        s.many<WorkflowPackage>(t.entity, (qb) => qb.orderBy('t.packageName', 'ASC').addOrderBy('t.version', 'ASC').addOrderBy('t.id', 'ASC')),
      );
    },

    async deletePackageMetadata(name, version) {
      const n = check.text(name, 'name', { min: 0 });
      const v = check.text(version, 'version', { min: 0 });
      return x.run(async (s) => (await s.exec('DELETE FROM workflow_packages WHERE package_name = $1 AND version = $2', [n, v])).affected > 0);
    },

    async deletePackageMetadataById(id) {
      const key = check.id(id);
      return x.run((s) => deleteById(s, t, t.enc('id', key)));
    },
  };
}
