import { launchSupervisor } from "./launch.js";

/** Starts one control plane per jest run, unless KUBENAP_TEST_KUBECONFIG names a running one. */
export default async function globalSetup(): Promise<void> {
  if (process.env.KUBENAP_TEST_KUBECONFIG) return;
  const started = Date.now();
  const { child, info } = await launchSupervisor([], false);
  (globalThis as { __kubenapPlane?: typeof child }).__kubenapPlane = child;
  process.env.KUBENAP_TEST_KUBECONFIG = info.kubeconfig;
  process.env.KUBENAP_TEST_BIN = info.binDir;
  process.stderr.write(`\ncontrol plane ready in ${Date.now() - started} ms (logs: ${info.dir}/logs)\n`);
}
