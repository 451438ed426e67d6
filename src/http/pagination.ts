import { z } from 'zod';
import { AppError } from './errors.ts';

export const limitSchema = z.coerce
  .number({ error: 'must be a whole number from 1 to 100' })
  .int({ error: 'must be a whole number from 1 to 100' })
  .min(1, { error: 'must be a whole number from 1 to 100' })
  .max(100, { error: 'must be a whole number from 1 to 100' })
  .default(20)
  .describe('Items per page, 1–100 (default 20)');
export const cursorSchema = z
  .string()
  .max(500)
  .optional()
  .describe('Opaque: the `nextCursor` of the previous page; leave out for the first');

/** Opaque to clients: base64url JSON of the keyset position. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T extends z.ZodType>(
  cursor: string | undefined,
  shape: T,
): z.infer<T> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = shape.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the 400 below
  }
  throw new AppError(400, 'INVALID_CURSOR', 'The cursor is not valid; start again without it');
}

/** Fetch limit + 1 rows; if the extra one is there, there is a next page. */
export function page<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  positionOf: (row: Row) => unknown,
): { items: Item[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(toItem),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null,
  };
}

/** A page of a list, as every list answers. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .meta({ examples: [null] })
      .describe('Pass as `?cursor=` for the next page; null: this is the last'),
  });
