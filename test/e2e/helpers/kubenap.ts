// KubeNap for a journey: the real runtime as its own process inside the namespace, listening where the
// kubenap Service's endpoint points (see world.ts), with the idle test source (no metrics backend).
import { join } from "node:path";
import { KUBENAP_HOST_IP } from "../../cluster/netns.js";
import { WAKE_PORT } from "../world.js";
import { NetnsProcess, artifacts, world } from "./world.js";

/** Starts KubeNap watching the namespaces; resolves once it serves wakes. */
export async function startKubenapInWorld(namespaces: string[], flags: string[] = []): Promise<NetnsProcess> {
  const script = join(process.cwd(), "test", "integration", "helpers", "kubenap-process.ts");
  const p = new NetnsProcess(
    "kubenap",
    [
      process.execPath,
      "--import",
      "tsx",
      script,
      "--kubeconfig",
      world().innerKubeconfig,
      "--namespaces",
      namespaces.join(","),
      "--metrics-source",
      "test",
      "--lease-namespace",
      namespaces[0] ?? "default",
      "--wake-address",
      KUBENAP_HOST_IP,
      "--wake-port",
      String(WAKE_PORT),
      "--log-level",
      "info",
      ...flags,
    ],
    join(artifacts("logs"), `kubenap-${namespaces[0]}.log`),
  );
  await p.waitLine((l) => l.includes("informers synced"), 60_000);
  return p;
}

/**
 * KubeNap as users run it (`kubenap run`, src/cli.ts) inside the namespace, with a real metrics source:
 * the flags given are the source's. A clean environment, so that no test variable reads as an option.
 */
export async function startKubenapCli(namespaces: string[], flags: string[]): Promise<NetnsProcess> {
  const p = new NetnsProcess(
    "kubenap",
    [
      process.execPath,
      "--import",
      "tsx",
      join(process.cwd(), "src", "cli.ts"),
      "run",
      "--kubeconfig",
      world().innerKubeconfig,
      "--namespaces",
      namespaces.join(","),
      "--lease-namespace",
      namespaces[0] ?? "default",
      "--wake-address",
      KUBENAP_HOST_IP,
      "--wake-port",
      String(WAKE_PORT),
      "--sweep-interval",
      "1s",
      "--log-level",
      "debug",
      ...flags,
    ],
    join(artifacts("logs"), `kubenap-cli-${namespaces[0]}.log`),
    { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" },
  );
  await p.waitLine((l) => l.includes("informers synced"), 60_000);
  return p;
}
