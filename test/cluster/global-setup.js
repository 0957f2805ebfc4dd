// jest loads globalSetup natively (no TS transform of its imports), so this file is plain JS and
// loads the TypeScript launcher through tsx.
import { tsImport } from "tsx/esm/api";

/** Starts one control plane per jest run, unless KUBENAP_TEST_KUBECONFIG names a running one. */
export default async function globalSetup() {
  if (process.env.KUBENAP_TEST_KUBECONFIG) return;
  const started = Date.now();
  const { launchSupervisor } = await tsImport("./launch.ts", import.meta.url);
  const { child, info } = await launchSupervisor([], false);
  globalThis.__kubenapPlane = child;
  process.env.KUBENAP_TEST_KUBECONFIG = info.kubeconfig;
  process.env.KUBENAP_TEST_BIN = info.binDir;
  process.env.KUBENAP_TEST_PLANE_DIR = info.dir;
  process.stderr.write(`\ncontrol plane ready in ${Date.now() - started} ms (logs: ${info.dir}/logs)\n`);
}
