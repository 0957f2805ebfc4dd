import { EventEmitter } from "node:events";
import { httpGet, type HttpAnswer } from "../../helpers/kube.js";
import { KubenapProcess, wakePortOf } from "../../helpers/process.js";
import { freePort } from "../../../cluster/ports.js";

/**
 * `kubenap run` flags for a fast test process on the plane: the test source, 200 ms sweeps, wakes
 * answered as soon as an endpoint is ready, on 127.0.0.1:port; `extra` adds or overrides.
 */
export function fastRunArgs(namespace: string, port: number, extra: string[]): string[] {
  return [
    ...["--kubeconfig", process.env.KUBENAP_TEST_KUBECONFIG ?? "", "--namespaces", namespace],
    ...["--metrics-source", "test", "--sweep-interval", "200ms"],
    ...["--wake-port", String(port), "--wake-address", "127.0.0.1"],
    ...["--settle-delay", "0s", "--hold-limit", "15s"],
    ...extra,
  ];
}

/**
 * One KubeNap process at a time that a test may SIGKILL and restart whenever it likes: `request`
 * sends to whichever process is serving and, when that one dies under it, waits for the next.
 */
export class Supervised extends EventEmitter {
  /** Every process started, for afterEach to kill. */
  readonly all: KubenapProcess[] = [];
  generation = 0;
  current: KubenapProcess | undefined;
  private port: Promise<number> = Promise.reject(new Error("not started"));
  private stopped = false;

  constructor(private readonly args: (port: number) => string[]) {
    super();
    this.port.catch(() => undefined);
  }

  /** Starts a process and resolves once it serves wakes. */
  async start(): Promise<void> {
    const port = await freePort();
    // The built code: a restart costs half as long as through the TypeScript loader.
    const p = new KubenapProcess(this.args(port), {}, "dist");
    this.all.push(p);
    this.current = p;
    this.generation++;
    this.port = wakePortOf(p, 60_000);
    await this.port;
    this.emit("serving");
  }

  private restarting: Promise<void> = Promise.resolve();

  /** SIGKILL, then a fresh process (unless stop() was called meanwhile); one restart at a time. */
  restart(): Promise<void> {
    this.restarting = this.restarting.then(async () => {
      await this.current?.kill("SIGKILL");
      if (!this.stopped) await this.start();
    });
    return this.restarting;
  }

  /** No more restarts; kills the current process. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.current?.kill("SIGKILL");
  }

  /**
   * GET path from the serving process. A connection that fails because the process died waits for
   * the next process to serve and asks it (the client retrying through the ingress); counted in
   * `interrupted`. Bounded by timeoutMs overall.
   */
  async request(
    path: string,
    headers: Record<string, string> = {},
    timeoutMs = 30_000,
  ): Promise<HttpAnswer & { interrupted: number }> {
    const deadline = Date.now() + timeoutMs;
    let interrupted = 0;
    for (;;) {
      const gen = this.generation;
      try {
        const port = await this.port;
        return { ...(await httpGet(port, path, headers)), interrupted };
      } catch (err) {
        if (Date.now() > deadline) throw err;
        interrupted++;
        // The process this request went to is gone: wait for its successor.
        if (this.generation === gen) await this.nextServing(deadline - Date.now());
      }
    }
  }

  /** Resolves when the next process serves; rejects after ms. */
  private nextServing(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const on = (): void => (clearTimeout(t), resolve());
      const t = setTimeout(
        () => {
          this.off("serving", on);
          reject(new Error(`no KubeNap served again within the request's bound`));
        },
        Math.max(0, ms),
      );
      this.once("serving", on);
    });
  }
}
