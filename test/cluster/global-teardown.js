/** Stops the plane that global-setup started: closing stdin tells the supervisor to stop everything. */
export default async function globalTeardown() {
  const child = globalThis.__kubenapPlane;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.stdin?.end();
  await exited;
}
