// Deletes the objects of a bucket that `pick` chooses, a page at a time: the retention sweep (by age) and a
// deleted session's files (by key prefix) both go through it.

/** R2 lists, and deletes, up to this many keys in one call. */
const PAGE = 1000;

export async function sweepBucket(bucket: R2Bucket, pick: (object: R2Object) => boolean, { prefix, include }: Pick<R2ListOptions, 'prefix' | 'include'> = {}): Promise<number> {
  let swept = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ limit: PAGE, ...(prefix ? { prefix } : {}), ...(include ? { include } : {}), ...(cursor ? { cursor } : {}) });
    const keys = page.objects.filter(pick).map((o) => o.key);
    if (keys.length > 0) await bucket.delete(keys);
    swept += keys.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return swept;
}
