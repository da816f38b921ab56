interface Job {
  dueAt: number;
  run: () => void;
}

/**
 * Runs delayed jobs (held-back responses, receipts) from one timer instead of one timer per PDU. Jobs
 * are kept in due order; with a constant delay they arrive in order and insertion is an append.
 */
export class Scheduler {
  private jobs: Job[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerDueAt = 0;
  private immediate: NodeJS.Immediate | null = null;
  private closed = false;

  at(delayMs: number, run: () => void): void {
    if (this.closed) return;
    const job = { dueAt: Date.now() + Math.max(0, delayMs), run };
    const jobs = this.jobs;
    if (jobs.length === this.head || jobs[jobs.length - 1].dueAt <= job.dueAt) {
      jobs.push(job);
    } else {
      // the delay was shortened at run time: keep due order (binary search over the pending part)
      let low = this.head;
      let high = jobs.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (jobs[middle].dueAt <= job.dueAt) low = middle + 1;
        else high = middle;
      }
      jobs.splice(low, 0, job);
    }
    this.arm();
  }

  get pending(): number {
    return this.jobs.length - this.head;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.jobs = [];
    this.head = 0;
  }

  private arm(): void {
    if (this.head === this.jobs.length) return;
    const dueAt = this.jobs[this.head].dueAt;
    const wait = dueAt - Date.now();
    if (wait <= 0) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      if (!this.immediate) this.immediate = setImmediate(this.drain);
      return;
    }
    if (this.immediate) return; // the drain re-arms
    if (this.timer && this.timerDueAt <= dueAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(this.drain, wait);
    this.timerDueAt = dueAt;
  }

  private readonly drain = (): void => {
    this.timer = null;
    this.immediate = null;
    const now = Date.now();
    const jobs = this.jobs;
    while (this.head < jobs.length && jobs[this.head].dueAt <= now) {
      const job = jobs[this.head++];
      job.run();
      if (this.closed) return;
    }
    if (this.head > 1024 && this.head * 2 > jobs.length) {
      this.jobs = jobs.slice(this.head);
      this.head = 0;
    }
    this.arm();
  };
}
