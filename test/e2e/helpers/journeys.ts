// The journeys every ingress must pass, written once: curl -L to an asleep app, a POST with a body,
// and a browser landing on the app by itself. Each starts from an asleep app and ends on its 200.
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { curlFollow } from "./clients.js";
import { putToSleep } from "./apps.js";
import { artifacts } from "./world.js";

/** Where a journey's ingress serves one app. */
export interface Entry {
  namespace: string;
  app: string;
  host: string;
  port: number;
}

/** The app's JSON echo (see test/cluster/pod-app.js). */
interface Echo {
  app: string;
  pod: string;
  method: string;
  path: string;
  body: string;
}

const parseEcho = (body: string): Echo => {
  try {
    return JSON.parse(body) as Echo;
  } catch {
    throw new Error(`the final answer is not the app's echo: ${body.slice(0, 500)}`);
  }
};

/** curl -L on the asleep app: the final answer is the app's 200 for the original path. */
export async function curlJourney(e: Entry): Promise<void> {
  await putToSleep(e.namespace, e.app);
  const res = await curlFollow(e.host, e.port, "/orders/42?tab=2&q=a%20b");
  // Status and the start of the body together, so a failure shows what the client got instead.
  expect(`${res.status} ${res.body.slice(0, 300)}`).toMatch(/^200 \{"app":"pod-app"/);
  const echo = parseEcho(res.body);
  expect(echo).toMatchObject({ method: "GET", path: "/orders/42?tab=2&q=a%20b", namespace: e.namespace });
  expect(res.redirects).toBeGreaterThanOrEqual(1);
}

/** A POST with a body to the asleep app reaches the app as that POST with that body. */
export async function postJourney(e: Entry): Promise<void> {
  await putToSleep(e.namespace, e.app);
  const body = `order=42&note=${"x".repeat(2000)}&end=✓`;
  const res = await curlFollow(e.host, e.port, "/submit", { body });
  expect(res.status).toBe(200);
  expect(parseEcho(res.body)).toMatchObject({ method: "POST", path: "/submit", body });
}

/** A browser opening the asleep app lands on it by itself; screenshot kept as an artifact. */
export async function browserJourney(e: Entry, browser: Browser, label: string): Promise<void> {
  await putToSleep(e.namespace, e.app);
  const page = await browser.newPage();
  try {
    const url = `http://${e.host}:${e.port}/dashboard?tab=2`;
    await page.goto(url, { timeout: 120_000 }).catch((err: unknown) => {
      throw new Error(`navigation failed: ${(err as Error).message}`);
    });
    await page.waitForSelector("#app", { timeout: 120_000 });
    expect(await page.locator("#app").textContent()).toContain(`hello from ${e.app}-`);
    expect(page.url()).toBe(url);
    await page.screenshot({ path: join(artifacts("screenshots"), `${label}.png`) });
  } finally {
    await page.close();
  }
}
