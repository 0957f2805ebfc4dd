/** Stops what global-setup.js started and deletes the network namespace. */
export default async function globalTeardown() {
  await globalThis.__kubenapWorld?.stop();
}
