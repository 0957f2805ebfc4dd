// Starts one control plane and keeps it running until told to stop: SIGTERM/SIGINT, or (unless
// --detached) the end of stdin, which happens when the parent dies for any reason, even SIGKILL.
// Prints "READY {json}" on stdout once the plane is usable; failures go to stderr with exit code 1.
import { startPlane } from "./plane.js";

const detached = process.argv.includes("--detached");
const dirArg = process.argv.find((a) => a.startsWith("--dir="));
// --routable: the e2e world (pod agent, kube-proxy); the caller runs us inside its network namespace.
const routable = process.argv.includes("--routable");

try {
  const plane = await startPlane({ ...(dirArg && { dir: dirArg.slice("--dir=".length) }), routable });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await plane.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  // A closed terminal (the demo, a developer's shell) hangs up the whole process group.
  process.on("SIGHUP", () => void stop());
  if (!detached) {
    process.stdin.on("end", () => void stop());
    process.stdin.on("error", () => void stop());
    process.stdin.resume();
  }
  const info = { dir: plane.dir, kubeconfig: plane.kubeconfig, server: plane.server, binDir: plane.binDir };
  process.stdout.write(`READY ${JSON.stringify(info)}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
