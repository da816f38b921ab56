/**
 * Deterministic stand-ins for randomness, so a test that sets "25 %" sees exactly every 4th PDU hit.
 */

/** Answers true for exactly `percent` % of calls, spread evenly (an error-diffusion accumulator). */
export class ProportionGate {
  private accumulated = 0;

  constructor(readonly percent: number) {}

  next(): boolean {
    if (this.percent <= 0) return false;
    this.accumulated += this.percent;
    if (this.accumulated >= 100) {
      this.accumulated -= 100;
      return true;
    }
    return false;
  }
}

/**
 * Smooth weighted round-robin (as nginx balances upstreams): each key comes up in proportion to its
 * weight, interleaved rather than in runs.
 */
export class WeightedRotation<K> {
  private readonly current: number[];
  private readonly total: number;

  constructor(private readonly entries: ReadonlyArray<{ key: K; weight: number }>) {
    this.current = entries.map(() => 0);
    this.total = entries.reduce((sum, entry) => sum + entry.weight, 0);
  }

  next(): K {
    let best = 0;
    for (let i = 0; i < this.entries.length; i++) {
      this.current[i] += this.entries[i].weight;
      if (this.current[i] > this.current[best]) best = i;
    }
    this.current[best] -= this.total;
    return this.entries[best].key;
  }
}
