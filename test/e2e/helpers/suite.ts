// One ingress's journeys share this frame: a fresh namespace, the setup (ingress + KubeNap + apps) started
// once before the file's tests and stopped after, one headless browser for the apps' hosts.
import type { Browser } from "playwright-core";
import { freshNamespace } from "../../integration/helpers/kube.js";
import { launchBrowser } from "./clients.js";
import type { Entry } from "./journeys.js";
import type { Setup, SetupApp } from "./setups.js";

/** The running suite, read inside tests. */
export interface Suite {
  namespace(): string;
  setup(): Setup;
  /** Where a client reaches an app through the ingress. */
  entry: (app: string) => Entry;
  /** The suite's browser, launched on first use. */
  browser(): Promise<Browser>;
}

/** Registers beforeAll/afterAll in the calling describe block. */
export function ingressSuite(
  prefix: string,
  start: (namespace: string, apps: SetupApp[]) => Promise<Setup>,
  apps: SetupApp[],
): Suite {
  let ns = "";
  let setup: Setup | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    ns = await freshNamespace(prefix);
    setup = await start(ns, apps);
  });
  afterAll(async () => {
    await browser?.close();
    await setup?.stop();
  });
  const running = (): Setup => {
    if (!setup) throw new Error(`the ${prefix} setup did not start`);
    return setup;
  };
  return {
    namespace: () => ns,
    setup: running,
    entry: (app) => ({ namespace: ns, app, host: running().host(app), port: running().port }),
    browser: async () => (browser ??= await launchBrowser(apps.map((a) => running().host(a.app)))),
  };
}
