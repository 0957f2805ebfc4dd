// Clients that run inside the e2e namespace: curl (following redirects, as a user's script would) and
// headless Chromium (through a wrapper that starts it in the namespace; Playwright talks to it over pipes).
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { inNetns } from "../../cluster/netns.js";
import { artifacts, runInNetns, world } from "./world.js";

/** What curl -L ended on. */
export interface CurlResult {
  status: number;
  redirects: number;
  url: string;
  body: string;
  seconds: number;
}

/** curl -L to http://host:port/path, host resolved to 127.0.0.1 inside the namespace. */
export async function curlFollow(
  host: string,
  port: number,
  path: string,
  opts: { body?: string; headers?: Record<string, string>; maxTime?: number } = {},
): Promise<CurlResult> {
  const argv = [
    "curl",
    "-sS",
    "-L",
    "--max-redirs",
    "40",
    "--max-time",
    String(opts.maxTime ?? 120),
    "--resolve",
    `${host}:${port}:127.0.0.1`,
    "-w",
    "\n%{http_code} %{num_redirects} %{time_total} %{url_effective}",
    ...Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    ...(opts.body !== undefined ? ["-H", "Content-Type: text/plain", "--data-binary", opts.body] : []),
    `http://${host}:${port}${path}`,
  ];
  const out = await runInNetns(argv, ((opts.maxTime ?? 120) + 10) * 1000);
  const cut = out.lastIndexOf("\n");
  const [status, redirects, seconds, url] = out.slice(cut + 1).split(" ");
  return {
    status: Number(status),
    redirects: Number(redirects),
    seconds: Number(seconds),
    url: url ?? "",
    body: out.slice(0, cut),
  };
}

/** Headless Chromium inside the namespace, mapping the given hosts to 127.0.0.1. */
export async function launchBrowser(hosts: string[]): Promise<Browser> {
  const wrapper = join(artifacts(), `chromium-in-${world().netns}.sh`);
  const argv = inNetns(world().netns, [process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"]);
  writeFileSync(wrapper, `#!/bin/sh\nexec ${argv.join(" ")} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return chromium.launch({
    executablePath: wrapper,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(", ")}`,
    ],
  });
}
