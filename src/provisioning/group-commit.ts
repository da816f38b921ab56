/**
 * Group commit: every caller still waits for its own result, but items that arrive while a batch is being
 * written go together in the next one, so a busy service pays one transaction (and its commit) per batch
 * instead of one per call. An idle service writes an item at once, alone.
 *
 * One batch is written at a time. Two or four at once were measured on the trigger path (bench:api):
 * slower, as smaller batches cost more per row and contend for the same index pages.
 */
export interface GroupCommitOptions {
  /** items per batch (default 200) */
  maxBatch?: number;
}

interface PendingItem<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<Item, Result> {
  private pending: Array<PendingItem<Item, Result>> = [];
  private writing = false;
  private readonly maxBatch: number;

  /**
   * @param write   records a batch; one outcome per item (same order), or throws for all of them
   * @param keysOf  items sharing a key never go in the same batch (a later one waits for the next batch)
   */
  constructor(
    private readonly write: (items: Item[]) => Promise<Array<PromiseSettledResult<Result>>>,
    private readonly keysOf: (item: Item) => readonly string[] = () => [],
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 200;
  }

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.take();
        try {
          const results = await this.write(batch.map((entry) => entry.item));
          batch.forEach((entry, index) => {
            const outcome = results[index]!;
            if (outcome.status === 'fulfilled') entry.resolve(outcome.value);
            else entry.reject(outcome.reason);
          });
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** The oldest pending items, up to maxBatch, skipping any whose key is already taken in this batch. */
  private take(): Array<PendingItem<Item, Result>> {
    const taken: Array<PendingItem<Item, Result>> = [];
    const rest: Array<PendingItem<Item, Result>> = [];
    const keys = new Set<string>();
    for (const entry of this.pending) {
      const own = this.keysOf(entry.item);
      if (taken.length >= this.maxBatch || own.some((key) => keys.has(key))) {
        rest.push(entry);
        continue;
      }
      for (const key of own) keys.add(key);
      taken.push(entry);
    }
    this.pending = rest;
    return taken;
  }
}

/**
 * `write` for GroupCommit from a function that returns one result per item: a batch that fails is
 * written again one item at a time, so one item's problem is its own. An error `failsEveryItem` says would
 * fail each of them alone too is given to every item of the batch at once.
 */
export function isolatingFailures<Item, Result>(
  write: (items: Item[]) => Promise<Result[]>,
  options: { failsEveryItem?: (error: unknown) => boolean } = {},
): (items: Item[]) => Promise<Array<PromiseSettledResult<Result>>> {
  return async (items) => {
    try {
      return (await write(items)).map((value) => ({ status: 'fulfilled', value }));
    } catch (error) {
      if (items.length === 1 || options.failsEveryItem?.(error)) {
        return items.map(() => ({ status: 'rejected', reason: error }));
      }
      return Promise.all(
        items.map(async (item): Promise<PromiseSettledResult<Result>> => {
          try {
            const [value] = await write([item]);
            return { status: 'fulfilled', value: value! };
          } catch (reason) {
            return { status: 'rejected', reason };
          }
        }),
      );
    }
  };
}
