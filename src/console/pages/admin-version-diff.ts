/**
 * Two versions of a profile side by side, one row per setting: the admins' diff view. The changes are the
 * API's own (versions.ts diffParameters, as GET /v1/profiles/:id/diff answers them, secrets masked); the
 * rows around them come from the same leaf paths, so an unchanged setting reads the same on both sides.
 */
import type { ProfileParameters } from '../../profiles/schema.ts';
import { diffParameters, flatten, maskParameters } from '../../profiles/versions.ts';

export type DiffRowChange = 'same' | 'changed' | 'added' | 'removed';

export interface DiffRow {
  /** The setting's path: `connections[0].apn`, `browser.bookmarks[1].url`. */
  path: string;
  /** The value in the older version as text; undefined when it had no such setting. */
  left: string | undefined;
  right: string | undefined;
  change: DiffRowChange;
  /** A secret changed: both sides show the mask, so only this flag tells them apart. */
  masked: boolean;
}

function shown(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function changeOf(old: unknown, next: unknown): DiffRowChange {
  if (old === undefined) return 'added';
  if (next === undefined) return 'removed';
  return 'changed';
}

/**
 * Every setting of either version in the order the diff walks them (the older version's paths, then the
 * ones only the newer has). `changesOnly` leaves the unchanged rows out.
 */
export function sideBySide(
  before: ProfileParameters,
  after: ProfileParameters,
  options: { changesOnly?: boolean } = {},
): DiffRow[] {
  const changes = new Map(diffParameters(before, after).map((change) => [change.path, change]));
  const left = flatten(maskParameters(before));
  const right = flatten(maskParameters(after));
  const paths = [...left.keys(), ...[...right.keys()].filter((path) => !left.has(path))];
  const rows: DiffRow[] = [];
  for (const path of paths) {
    const change = changes.get(path);
    if (!change && options.changesOnly) continue;
    rows.push({
      path,
      left: shown(change ? change.old : left.get(path)),
      right: shown(change ? change.new : right.get(path)),
      change: change ? changeOf(change.old, change.new) : 'same',
      masked: change?.masked === true,
    });
  }
  return rows;
}
