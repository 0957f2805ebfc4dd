// Every kubenap subcommand but run and doctor, as users call it (`kubenap <command>`), on the real control
// plane: the writes it makes, what it prints, and one line with a non-zero exit for wrong input.
import { jest } from "@jest/globals";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { freePort } from "../../cluster/ports.js";
import { clients, createApp, ENABLED, freshNamespace, testKubeConfig } from "../helpers/kube.js";
import { serviceAccountKubeconfig } from "../helpers/service-account.js";

interface Run {
  code: number | null;
  out: string;
  err: string;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BIN = join(ROOT, "dist", "cli.js");

/** Rebuilds dist/ when a source file is newer (npm ci builds it; a developer may have edited src/). */
function ensureBuilt(): void {
  const built = existsSync(BIN) ? statSync(BIN).mtimeMs : 0;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? newer(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs > built,
    );
  if (newer(join(ROOT, "src"))) execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT });
}

/** `kubenap <args>` as installed (the package's bin), with a clean environment and a bound. */
function kubenap(args: string[], kubeconfig = process.env.KUBENAP_TEST_KUBECONFIG ?? ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli.ts", ...args, "--kubeconfig", kubeconfig],
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" },
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

// Each call starts the built CLI, which loads the whole runtime (a few seconds on loaded CI cores).
jest.setTimeout(300_000);

const oneLine = (r: Run): void => {
  expect(r.code).not.toBe(0);
  expect(r.err.trim().split("\n")).toHaveLength(1);
  expect(r.err).not.toMatch(/\n\s+at /);
};

describe("kubenap CLI subcommands on a real control plane", () => {
  let ns = "";
  beforeAll(async () => {
    ensureBuilt();
    ns = await freshNamespace("cli");
    await createApp(ns, "web", {
      replicas: 2,
      labels: ENABLED,
      annotations: { "kubenap/idleAfter": "10m", "kubenap/ingress": "web" },
    });
    await createApp(ns, "plain", { replicas: 1 });
    await clients()
      .kc.makeApiClient(NetworkingV1Api)
      .createNamespacedIngress({
        namespace: ns,
        body: {
          metadata: { name: "web" },
          spec: {
            rules: [
              {
                host: "web.example",
                http: {
                  paths: [
                    {
                      path: "/",
                      pathType: "Prefix",
                      backend: { service: { name: "web", port: { number: 80 } } },
                    },
                  ],
                },
              },
            ],
          },
        },
      });
  });

  it("version prints the package version", async () => {
    const r = await kubenap(["version"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^kubenap \d+\.\d+\.\d+/);
  });

  it("--help of each subcommand shows an example", async () => {
    const cmds = ["status", "sleep", "wake", "pin", "unpin", "proxy-config", "doctor", "version"];
    const answers: [string, number | null, boolean][] = [];
    for (const cmd of cmds) {
      const r = await kubenap([cmd, "--help"]);
      answers.push([cmd, r.code, r.out.includes("Example:")]);
    }
    expect(answers).toEqual(cmds.map((c) => [c, 0, true]));
  });

  it("sleep, status, pin, unpin and wake make the monitor's and the waker's writes", async () => {
    const slept = await kubenap(["sleep", `${ns}/web`]);
    expect(slept.err).toBe("");
    expect(slept.out).toContain("scaled 2 → 0 replicas; a wake restores 2");
    const { apps } = clients();
    let dep = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
    expect(dep.spec?.replicas).toBe(0);
    expect(dep.metadata?.annotations?.["kubenap/replicaCount"]).toBe("2");
    expect(dep.metadata?.annotations?.["kubenap/state"]).toBe("asleep");

    const json = await kubenap(["status", "--namespace", ns, "--output", "json"]);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.out) as { app: string; state: string; replicas: number; restore: number }[];
    expect(rows.map((r) => [r.app, r.state, r.replicas, r.restore])).toEqual([[`${ns}/web`, "asleep", 0, 2]]);
    const table = await kubenap(["status", "-n", ns]);
    expect(table.out.split("\n")[0]).toMatch(/^APP\s+STATE\s+REPLICAS\s+LAST ACTIVITY/);
    expect(table.out).toMatch(new RegExp(`${ns}/web\\s+asleep\\s+0/2`));
    expect(table.out).not.toContain("\u001b["); // no colour without a terminal

    const pinned = await kubenap(["pin", `${ns}/web`, "--for", "2h"]);
    expect(pinned.code).toBe(0);
    expect(pinned.out).toContain("is asleep now");
    dep = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
    const until = Date.parse(dep.metadata?.annotations?.["kubenap/awakeUntil"] ?? "");
    expect(Math.abs(until - (Date.now() + 2 * 3600_000))).toBeLessThan(60_000);

    const woke = await kubenap(["wake", `${ns}/web`]);
    expect(woke.err).toBe("");
    expect(woke.out).toContain("scaled to 2 replicas");
    expect(woke.out).toContain("waiting for a ready endpoint of Service web");
    expect(woke.out).toMatch(new RegExp(`✓ ${ns}/web woke in \\d+ ms`));
    dep = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
    expect(dep.spec?.replicas).toBe(2);
    expect(dep.metadata?.annotations?.["kubenap/state"]).toBe("awake");
    expect(dep.metadata?.annotations?.["kubenap/wokeAt"]).toBeDefined();

    const unpinned = await kubenap(["unpin", `${ns}/web`]);
    expect(unpinned.code).toBe(0);
    dep = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
    expect(dep.metadata?.annotations?.["kubenap/awakeUntil"]).toBeUndefined();
  });

  it("status --watch redraws when an app changes, and stops on Ctrl-C", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "status", "--watch", "-n", ns, "--kubeconfig", process.env.KUBENAP_TEST_KUBECONFIG ?? ""],
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" },
      },
    );
    let out = "";
    const seen = (re: RegExp): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not seen: ${re}; output:\n${out}`)), 60_000);
        const check = (): void => {
          if (re.test(out)) {
            clearTimeout(timer);
            child.stdout.off("data", check);
            resolve();
          }
        };
        child.stdout.on("data", check);
        check();
      });
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await seen(new RegExp(`${ns}/web\\s+awake`));
      await clients().apps.patchNamespacedDeployment(
        { name: "web", namespace: ns, body: { spec: { replicas: 0 } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      await seen(new RegExp(`${ns}/web\\s+asleep`));
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      await clients().apps.patchNamespacedDeployment(
        { name: "web", namespace: ns, body: { spec: { replicas: 2 } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    }
  });

  it("proxy-config prints each plugin's output for the app, read from the cluster", async () => {
    const traefik = await kubenap(["proxy-config", "traefik", `${ns}/web`]);
    expect(traefik.code).toBe(0);
    expect(traefik.out).toContain("# ---- middleware.yaml");
    expect(traefik.out).toContain("kind: Middleware");
    expect(traefik.out).not.toContain("kind: HTTPRoute");
    const gateway = await kubenap(["proxy-config", "gateway", `${ns}/web`]);
    expect(gateway.out).toContain("kind: HTTPRoute");
    const nginx = await kubenap(["proxy-config", "nginx", `${ns}/web`]);
    expect(nginx.out).toContain("error_page");
    expect(nginx.out).toContain("web.example");
    const istio = await kubenap(["proxy-config", "istio", `${ns}/web`]);
    expect(istio.out).toContain("kind: EnvoyFilter");
  });

  it("wrong input: one line on stderr, a non-zero exit, no stack trace", async () => {
    const cases: [string[], RegExp][] = [
      [["sleep", "web"], /expected <namespace>\/<name>/],
      [["sleep", `${ns}/nope`], new RegExp(`no deployment ${ns}/nope`)],
      [["wake", `${ns}/plain`], /not opted in/],
      [["pin", `${ns}/web`], /--for DURATION is required/],
      [["pin", `${ns}/web`, "--for", "soon"], /--for expects a duration/],
      [["proxy-config", "haproxy", `${ns}/web`], /unknown proxy "haproxy"/],
      [["status", "--output", "xml"], /--output expects table, json or yaml/],
      [["status", "--frobnicate"], /Unknown option '--frobnicate'/],
      [["nope"], /unknown command "nope"/],
    ];
    for (const [args, message] of cases) {
      const r = await kubenap(args);
      oneLine(r);
      expect([args.join(" "), r.err]).toEqual([args.join(" "), expect.stringMatching(message)]);
    }
  });

  it("an unreachable cluster and missing RBAC: one line each naming the cause", async () => {
    const base = testKubeConfig();
    const cluster = base.getCurrentCluster();
    const user = base.getCurrentUser();
    if (!cluster || !user) throw new Error("no cluster in the test kubeconfig");
    const closed = new KubeConfig();
    closed.loadFromOptions({
      clusters: [{ ...cluster, server: `https://127.0.0.1:${await freePort()}` }],
      users: [user],
      contexts: [{ name: "c", cluster: cluster.name, user: user.name }],
      currentContext: "c",
    });
    const file = join(mkdtempSync(join(tmpdir(), "kubenap-cli-")), "kubeconfig");
    writeFileSync(file, closed.exportConfig());
    const unreachable = await kubenap(["status"], file);
    oneLine(unreachable);
    expect(unreachable.err).toMatch(
      /cannot reach the cluster at https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );

    // A ServiceAccount that may read Deployments but not patch them.
    const sa = await serviceAccountKubeconfig(ns);
    const rbac = testKubeConfig().makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: "read-only" },
        rules: [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: "read-only" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "read-only" },
        subjects: [{ kind: "ServiceAccount", name: "kubenap", namespace: ns }],
      },
    });
    const forbidden = await kubenap(["sleep", `${ns}/web`], sa);
    oneLine(forbidden);
    expect(forbidden.err).toMatch(/forbidden to scale deployment .*cannot patch resource "deployments"/);
  });
});
