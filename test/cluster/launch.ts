import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

/** What a started plane reports. */
export interface PlaneInfo {
  dir: string;
  kubeconfig: string;
  server: string;
  binDir: string;
}

/**
 * Spawns the supervisor and resolves once it prints READY; rejects with its stderr if it fails.
 * `prefix` runs it through another command first (the e2e world: `ip netns exec NS`).
 */
export async function launchSupervisor(
  args: string[],
  detached: boolean,
  prefix: string[] = [],
): Promise<{ child: ChildProcess; info: PlaneInfo }> {
  // Ports are picked free and then bound by other processes: parallel test lanes (or anything else on
  // the machine) can take one in between. Such a start fails with EADDRINUSE; try again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnce(args, detached, prefix);
    } catch (err) {
      if (attempt >= 3 || !/address already in use|EADDRINUSE/.test((err as Error).message)) throw err;
      process.stderr.write(
        `control plane: a port was taken meanwhile; starting again (attempt ${attempt + 1})\n`,
      );
    }
  }
}

function launchOnce(
  args: string[],
  detached: boolean,
  prefix: string[],
): Promise<{ child: ChildProcess; info: PlaneInfo }> {
  const cmd = [...prefix, process.execPath, "--import", "tsx", join(HERE, "supervisor.ts"), ...args];
  const child = spawn(cmd[0] ?? process.execPath, cmd.slice(1), {
    stdio: [detached ? "ignore" : "pipe", "pipe", "pipe"],
    detached,
    cwd: join(HERE, "..", ".."),
  });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.length > 64_000) err = err.slice(-32_000);
    });
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("READY "));
      if (line) resolve({ child, info: JSON.parse(line.slice("READY ".length)) as PlaneInfo });
    });
    child.once("exit", (code) => reject(new Error(`control plane supervisor exited with ${code}:\n${err}`)));
  });
}
