/**
 * A double-ended queue on a growable ring buffer: segments wait here for a bind with a free window slot
 * and a token; a throttled segment goes back to the front so it keeps its place.
 */
export class SegmentQueue<T> {
  private items: Array<T | undefined> = new Array(64);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
  }

  pushFront(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  /** Removes and returns every item the predicate selects, keeping the others in order. */
  removeWhere(predicate: (item: T) => boolean): T[] {
    const removed: T[] = [];
    const kept: T[] = [];
    while (this.count > 0) {
      const item = this.shift() as T;
      (predicate(item) ? removed : kept).push(item);
    }
    for (const item of kept) this.push(item);
    return removed;
  }

  private grow(): void {
    const larger = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.count; i++) larger[i] = this.items[(this.head + i) % this.items.length];
    this.items = larger;
    this.head = 0;
  }
}
