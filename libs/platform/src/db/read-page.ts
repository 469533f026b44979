/**
 * A page of rows and the total in one query whenever the page is the last one (the usual case of a fleet that
 * fits one page): one row more than the page is asked for, and only when it comes back — there is a next page —
 * is the total counted with a second query.
 */
export async function readPage<T>(
  page: { limit: number; offset: number },
  find: (take: number) => Promise<T[]>,
  count: () => Promise<number>,
): Promise<{ items: T[]; total: number }> {
  const rows = await find(page.limit + 1);
  if (rows.length <= page.limit && (rows.length > 0 || page.offset === 0)) return { items: rows, total: page.offset + rows.length };
  return { items: rows.slice(0, page.limit), total: await count() };
}
