/**
 * The group policies the pipeline applies, read from the groups table: seeded from config/groups.yaml
 * (a group the file adds is inserted at the next start) and edited by admins through PUT /v1/groups, so
 * the store is the one source at run time. Read for every trigger and push, they change rarely: the whole
 * (small) table is cached for a few seconds, so an edit applies everywhere within `ttlMs`.
 */
import type { Db } from '../store/db.ts';
import { listGroupPolicyDocuments } from '../store/repositories/groups.ts';
import { groupPolicySchema, type GroupPolicy } from './policy.ts';

const DEFAULT_TTL_MS = 5_000;

export class GroupPolicies {
  private cached: Promise<Readonly<Record<string, GroupPolicy>>> | undefined;
  private loadedAt = 0;

  /**
   * @param fallback  policies for groups the table does not have, or whose stored document no longer
   *                  reads (config/groups.yaml; the table is seeded from it)
   */
  constructor(
    private readonly db: Db,
    private readonly fallback: Readonly<Record<string, GroupPolicy>>,
    private readonly ttlMs = DEFAULT_TTL_MS,
  ) {}

  /**
   * Every group's policy, by name (for policyFor). Not from inside a transaction: on PGlite the outer
   * handle waits for it to end.
   */
  all(): Promise<Readonly<Record<string, GroupPolicy>>> {
    if (!this.cached || Date.now() - this.loadedAt >= this.ttlMs) {
      this.loadedAt = Date.now();
      const loading = this.load();
      this.cached = loading;
      // A failed read is not kept: the next call tries again.
      loading.catch(() => {
        if (this.cached === loading) this.cached = undefined;
      });
    }
    return this.cached;
  }

  /** Forgets the cached table (after an edit in this process). */
  clear(): void {
    this.cached = undefined;
  }

  private async load(): Promise<Readonly<Record<string, GroupPolicy>>> {
    const rows = await listGroupPolicyDocuments(this.db);
    const policies: Record<string, GroupPolicy> = { ...this.fallback };
    for (const row of rows) {
      const parsed = groupPolicySchema.safeParse(row.policy ?? {});
      if (parsed.success) policies[row.name] = parsed.data;
    }
    return Object.freeze(policies);
  }
}
