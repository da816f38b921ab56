import { z } from 'zod';

/**
 * Page cursors of lists ordered newest first by a numeric identity (the audit log, unmatched receipts):
 * opaque to callers (base64url of `<kind>:<id>`), so a list may change what it carries without breaking
 * them, and one list's cursor is refused by another. The next page holds the rows with ids below it.
 */
export interface IdCursor {
  encode(lastId: number): string;
  /** The query parameter: a cursor this list gave, read back as the id the next page starts below. */
  readonly schema: z.ZodType<number, string>;
}

export function idCursor(kind: string): IdCursor {
  const prefix = `${kind}:`;
  const decode = (cursor: string): number | undefined => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!text.startsWith(prefix)) return undefined;
    const digits = text.slice(prefix.length);
    return /^[1-9][0-9]{0,15}$/.test(digits) ? Number(digits) : undefined;
  };
  return {
    encode: (lastId) => Buffer.from(prefix + String(lastId), 'utf8').toString('base64url'),
    schema: z.string().transform((value, context) => {
      const id = decode(value);
      if (id === undefined) {
        context.addIssue({
          code: 'custom',
          message: 'not a cursor of this list (give nextCursor as it came)',
        });
        return z.NEVER;
      }
      return id;
    }),
  };
}

/** The page of `limit` rows out of `limit + 1` read, and the cursor of the next page when there is one. */
export function pageOf<T extends { id: number }>(
  rows: readonly T[],
  limit: number,
  cursor: IdCursor,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const more = rows.length > limit && items.length > 0;
  return { items, nextCursor: more ? cursor.encode(items[items.length - 1].id) : null };
}
