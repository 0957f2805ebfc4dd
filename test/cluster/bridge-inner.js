// Inner half of the API bridge (see bridge.ts): runs inside the e2e network namespace, accepts on a
// Unix socket (the file system is shared across namespaces) and connects to 127.0.0.1:PORT there.
import { connect, createServer } from "node:net";
import { rmSync } from "node:fs";

const [socketPath, port] = process.argv.slice(2);
rmSync(socketPath, { force: true });
const server = createServer((client) => {
  const upstream = connect(Number(port), "127.0.0.1");
  client.pipe(upstream).pipe(client);
  const drop = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", drop);
  upstream.on("error", drop);
});
server.listen(socketPath, () => process.stdout.write("bridge listening\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
