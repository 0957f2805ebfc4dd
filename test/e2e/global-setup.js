// jest loads globalSetup natively, so this is plain JS loading the TypeScript world through tsx.
import { tsImport } from "tsx/esm/api";

/** Starts the e2e world once per jest run; tests read where it is from KUBENAP_E2E_* variables. */
export default async function globalSetup() {
  const started = Date.now();
  const { startWorld } = await tsImport("./world.ts", import.meta.url);
  const world = await startWorld();
  globalThis.__kubenapWorld = world;
  Object.assign(process.env, world.env);
  process.stderr.write(
    `\ne2e world ready in ${Date.now() - started} ms (netns ${world.env.KUBENAP_E2E_NETNS}, logs: ${world.env.KUBENAP_E2E_DIR}/logs)\n`,
  );
}
