// Lets the test process (outside the e2e network namespace) reach one TCP port inside it, through a
// Unix socket: 127.0.0.1:<host port> here → socket → 127.0.0.1:<port> in the namespace. Used for the
// API server only; data-path traffic (curl, browsers, ingresses) runs inside the namespace.
import { spawn } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { inNetns } from "./netns.js";

const HERE = dirname(fileURLToPath(import.meta.url));

/** A running bridge. */
export interface Bridge {
  port: number;
  close(): Promise<void>;
}

/** Starts both halves; resolves once the host port (0: any free one) accepts. */
export async function startBridge(
  netns: string,
  port: number,
  socketPath: string,
  hostPort = 0,
): Promise<Bridge> {
  const argv = inNetns(netns, [process.execPath, join(HERE, "bridge-inner.js"), socketPath, String(port)]);
  const inner = spawn(argv[0] ?? "setpriv", argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    inner.once("exit", (code) => reject(new Error(`bridge exited with ${code}`)));
    createInterface({ input: inner.stdout }).on("line", (l) => l.startsWith("bridge listening") && resolve());
  });
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.once("close", () => open.delete(client));
    const upstream = connect(socketPath);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop);
    upstream.on("error", drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => {
      inner.kill("SIGTERM");
      reject(err);
    });
    server.listen(hostPort, "127.0.0.1", resolve);
  });
  const addr = server.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : 0,
    close: async () => {
      inner.kill("SIGTERM");
      for (const c of open) c.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
