import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in front of the API server that a test can turn into a black hole: connections are
 * accepted and nothing is answered (a hung API server), until restore() lets everything flow again.
 */
export class ApiProxy {
  private holding = false;
  private readonly pairs = new Set<[Socket, Socket | undefined]>();
  private readonly held: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: URL): Promise<ApiProxy> {
    const ref: { proxy?: ApiProxy } = {};
    const server = createServer((client) => ref.proxy?.accept(client, target));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    ref.proxy = new ApiProxy(server, typeof addr === "object" && addr ? addr.port : 0);
    return ref.proxy;
  }

  /** Rewrites a kubeconfig server URL to go through the proxy. */
  url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  blackhole(): void {
    this.holding = true;
    for (const [a, b] of this.pairs) {
      a.pause();
      b?.pause();
    }
  }

  restore(): void {
    this.holding = false;
    for (const [a, b] of this.pairs) {
      a.resume();
      b?.resume();
    }
    this.held.splice(0).forEach((go) => go());
  }

  async close(): Promise<void> {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b?.destroy();
    }
    await new Promise((r) => this.server.close(r));
  }

  private accept(client: Socket, target: URL): void {
    const pair: [Socket, Socket | undefined] = [client, undefined];
    this.pairs.add(pair);
    client.on("error", () => undefined);
    client.on("close", () => {
      pair[1]?.destroy();
      this.pairs.delete(pair);
    });
    const go = (): void => {
      const upstream = connect(Number(target.port), target.hostname);
      pair[1] = upstream;
      upstream.on("error", () => client.destroy());
      upstream.on("close", () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    };
    if (this.holding) {
      client.pause();
      this.held.push(() => (client.resume(), go()));
    } else go();
  }
}
