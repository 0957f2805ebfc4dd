// Everything the demo started, stopped in reverse order, once, whenever asked (also mid-start-up).

/** A registry of stop functions. */
export class Stopper {
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];
  private closed = false;
  private running: Promise<void> | undefined;

  constructor(private readonly report: (line: string) => void) {}

  /** Registers something started; if stopping has begun, stops it at once. */
  add(name: string, stop: () => Promise<void>): void {
    if (this.closed) {
      void stop().catch(() => undefined);
      return;
    }
    this.stops.push({ name, stop });
  }

  get stopping(): boolean {
    return this.closed;
  }

  /** Stops everything registered, newest first; never throws; the same promise for every caller. */
  stopAll(): Promise<void> {
    this.closed = true;
    this.running ??= (async () => {
      for (const s of this.stops.reverse()) {
        this.report(`  stopping ${s.name}`);
        try {
          await s.stop();
        } catch (err) {
          this.report(`  could not stop ${s.name}: ${(err as Error).message}`);
        }
      }
      this.stops.length = 0;
    })();
    return this.running;
  }
}
