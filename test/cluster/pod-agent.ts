// The e2e world's "kubelet": for each pod bound to our kwok nodes it makes a network namespace with a
// veth pair, gives the pod an address there, starts the test app (pod-app.js) inside it, and marks the
// pod Ready once the app listens, as a readiness probe would. Deleting the pod removes the process and
// the namespace. Runs inside the e2e network namespace (see plane.ts, routable), as root.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1Pod,
} from "@kubernetes/client-node";
import { NODE_IP } from "./plane.js";

const arg = (name: string): string => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  if (!a) throw new Error(`pod-agent: --${name}= is required`);
  return a.slice(name.length + 3);
};

const kc = new KubeConfig();
kc.loadFromFile(arg("kubeconfig"));
const core = kc.makeApiClient(CoreV1Api);
const nodes = new Set(arg("nodes").split(","));
const appScript = arg("app");
/** Pod annotation: the app answers 503 for this long after it starts (a duration like 10s or 500ms). */
const FAIL_FOR = "pod-app.kubenap.test/fail-for";
/** Pod annotation: the app starts listening (and the pod turns Ready) only after this long. */
const START_AFTER = "pod-app.kubenap.test/start-after";
/** Netns names are global on the machine: our pid keeps concurrent worlds apart. */
const prefix = `knp${process.pid}-`;

interface PodRuntime {
  uid: string;
  netns: string;
  veth: string;
  ip: string;
  app?: ChildProcess;
}

const pods = new Map<string, PodRuntime>();
const busy = new Map<string, Promise<void>>();
const freeIps: string[] = [];
let nextIndex = 0;
let nextHost = 2;

const log = (message: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), message, ...fields })}\n`);
};

const ip = (...args: string[]): void => {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
};

/** Pod addresses come from 10.0.128.0/17, apart from the range kwok would use. */
function allocateIp(): string {
  const reused = freeIps.shift();
  if (reused) return reused;
  const n = nextHost++;
  if (n >= 32_766) throw new Error("pod address range exhausted");
  return `10.0.${128 + Math.floor(n / 256)}.${n % 256}`;
}

function parseDuration(key: string, v: string | undefined): number {
  if (!v) return 0;
  const m = /^(\d+)(ms|s|m)$/.exec(v.trim());
  if (!m) throw new Error(`${key}: ${v} is not a duration like 10s`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] as "ms" | "s" | "m"] ?? 1);
}

async function setUp(pod: V1Pod, key: string): Promise<void> {
  const ns = pod.metadata?.namespace ?? "";
  const name = pod.metadata?.name ?? "";
  const index = nextIndex++;
  const rt: PodRuntime = {
    uid: pod.metadata?.uid ?? "",
    netns: `${prefix}${index}`,
    veth: `kvp${index}`,
    ip: allocateIp(),
  };
  pods.set(key, rt);
  ip("netns", "add", rt.netns);
  ip("link", "add", rt.veth, "type", "veth", "peer", "name", "eth0", "netns", rt.netns);
  ip("addr", "add", `${NODE_IP}/32`, "dev", rt.veth);
  ip("link", "set", rt.veth, "up");
  ip("route", "add", `${rt.ip}/32`, "dev", rt.veth, "src", NODE_IP);
  ip("-n", rt.netns, "link", "set", "lo", "up");
  ip("-n", rt.netns, "addr", "add", `${rt.ip}/32`, "dev", "eth0");
  ip("-n", rt.netns, "link", "set", "eth0", "up");
  ip("-n", rt.netns, "route", "add", `${NODE_IP}/32`, "dev", "eth0");
  ip("-n", rt.netns, "route", "add", "default", "via", NODE_IP, "dev", "eth0");

  const container = pod.spec?.containers?.[0];
  const port = container?.ports?.[0]?.containerPort ?? 8080;
  const failFor = parseDuration(FAIL_FOR, pod.metadata?.annotations?.[FAIL_FOR]);
  const startAfter = parseDuration(START_AFTER, pod.metadata?.annotations?.[START_AFTER]);
  const app = spawn(
    "setpriv",
    ["--pdeathsig", "KILL", "--", "ip", "netns", "exec", rt.netns, process.execPath, appScript],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        PORT: String(port),
        POD_NAME: name,
        POD_NAMESPACE: ns,
        FAIL_FOR_MS: String(failFor),
        START_DELAY_MS: String(startAfter),
      },
    },
  );
  rt.app = app;
  await new Promise<void>((resolve, reject) => {
    const limit = 20_000 + startAfter;
    const timer = setTimeout(
      () => reject(new Error(`app of ${key} did not listen within ${limit} ms`)),
      limit,
    );
    app.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`app of ${key} exited with ${code}`));
    });
    createInterface({ input: app.stdout }).on("line", (line) => {
      if (line.startsWith("listening")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const now = new Date().toISOString();
  const cond = (type: string) => ({ type, status: "True", lastTransitionTime: now });
  await core.patchNamespacedPodStatus(
    {
      namespace: ns,
      name,
      body: {
        status: {
          phase: "Running",
          hostIP: NODE_IP,
          hostIPs: [{ ip: NODE_IP }],
          podIP: rt.ip,
          podIPs: [{ ip: rt.ip }],
          startTime: now,
          conditions: [cond("PodScheduled"), cond("Initialized"), cond("ContainersReady"), cond("Ready")],
          containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
            name: c.name,
            image: c.image ?? "",
            imageID: "",
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: now } },
          })),
        },
      },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  log("pod ready", { pod: key, ip: rt.ip, netns: rt.netns, failForMs: failFor, startAfterMs: startAfter });
}

function tearDown(key: string): void {
  const rt = pods.get(key);
  if (!rt) return;
  pods.delete(key);
  if (rt.app && rt.app.exitCode === null) rt.app.kill("SIGKILL");
  try {
    // Deleting the namespace removes eth0, its peer on our side and the route through it.
    ip("netns", "del", rt.netns);
  } catch (err) {
    log("netns delete failed", { pod: key, error: (err as Error).message });
  }
  freeIps.push(rt.ip);
  log("pod removed", { pod: key, ip: rt.ip });
}

/** One change per pod at a time, in order. */
function enqueue(key: string, work: () => Promise<void>): void {
  const prev = busy.get(key) ?? Promise.resolve();
  const next = prev
    .then(work)
    .catch((err: unknown) => log("pod failed", { pod: key, error: (err as Error).message }));
  busy.set(key, next);
  void next.then(() => {
    if (busy.get(key) === next) busy.delete(key);
  });
}

function onPod(type: string, pod: V1Pod): void {
  if (!pod.spec?.nodeName || !nodes.has(pod.spec.nodeName)) return;
  const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  const gone = type === "DELETED" || !!pod.metadata?.deletionTimestamp;
  enqueue(key, async () => {
    const rt = pods.get(key);
    if (rt && (gone || rt.uid !== pod.metadata?.uid)) tearDown(key);
    if (!gone && !pods.has(key) && pod.spec?.hostNetwork !== true) await setUp(pod, key);
  });
}

/** List, then watch from that version; on any error start over (events may repeat: onPod is idempotent). */
async function run(): Promise<void> {
  for (;;) {
    try {
      const list = await core.listPodForAllNamespaces();
      for (const p of list.items) onPod("ADDED", p);
      // Pods deleted while we were not watching.
      const present = new Set(list.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
      for (const key of [...pods.keys()]) {
        if (!present.has(key)) enqueue(key, () => Promise.resolve(tearDown(key)));
      }
      log("pod agent ready", { nodes: [...nodes] });
      await new Promise<void>((resolve) => {
        void new Watch(kc)
          .watch(
            "/api/v1/pods",
            { resourceVersion: list.metadata?.resourceVersion ?? "", allowWatchBookmarks: "false" },
            (type: string, obj: V1Pod) => onPod(type, obj),
            () => resolve(),
          )
          .catch(() => resolve());
      });
    } catch (err) {
      log("pod list failed", { error: (err as Error).message });
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function shutdown(): void {
  for (const key of [...pods.keys()]) tearDown(key);
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
process.on("SIGHUP", shutdown);
void run();
