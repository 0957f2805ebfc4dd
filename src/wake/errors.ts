/** A wake that did not reach readiness within kubenap/wakeTimeout. */
export class WakeTimeoutError extends Error {
  constructor(
    readonly target: string,
    readonly afterMs: number,
  ) {
    super(`deployment ${target} did not become ready within ${Math.round(afterMs / 1000)}s`);
    this.name = "WakeTimeoutError";
  }
}

/** A request that the wake handler refuses before doing anything, with the HTTP status to answer. */
export class BadWakeRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "BadWakeRequest";
  }
}
