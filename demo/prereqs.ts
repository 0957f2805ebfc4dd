// What the local demo needs before it can start: root, Debian's packages, the plane's binaries and the
// real proxies (built or fetched once into ~/.cache/kubenap, then reused), and an up-to-date dist/.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { runStep, say } from "./progress.js";

/** Debian packages the local demo runs: Prometheus, kube-proxy's nftables, ip netns, curl, setpriv, openssl, pip. */
export const DEBIAN_PACKAGES = [
  "prometheus",
  "nftables",
  "iproute2",
  "curl",
  "util-linux",
  "openssl",
  "python3-pip",
] as const;

/** Packages of the list that dpkg does not report installed. */
export function missingPackages(pkgs: readonly string[]): string[] {
  return pkgs.filter((p) => {
    try {
      const status = execFileSync("dpkg-query", ["-W", "-f=${Status}", p], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      return !status.includes("install ok installed");
    } catch {
      return true;
    }
  });
}

const newest = (dir: string): number => {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
};

/** Installs or builds whatever is missing, printing each step; throws with the fix when it cannot. */
export async function ensurePrerequisites(root: string): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "the local demo needs root: it creates a network namespace for the cluster (try: sudo npm run demo)",
    );
  }
  if (process.platform !== "linux") throw new Error("the local demo runs on Linux only (network namespaces)");
  const missing = missingPackages(DEBIAN_PACKAGES);
  if (missing.length > 0) {
    if (!existsSync("/usr/bin/apt-get"))
      throw new Error(`missing packages: ${missing.join(", ")} (install them with your package manager)`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    await runStep("apt-get update", ["apt-get", "update", "-q"], { env, echoStdout: true });
    await runStep(
      `apt-get install ${missing.join(" ")}`,
      ["apt-get", "install", "-y", "-q", "--no-install-recommends", ...missing],
      { env, echoStdout: true },
    );
  } else say(`✓ Debian packages present: ${DEBIAN_PACKAGES.join(", ")}`);

  const cache = join(process.env.KUBENAP_CACHE ?? join(process.env.HOME ?? "/root", ".cache", "kubenap"));
  const haveGo = ((): boolean => {
    try {
      execFileSync("go", ["version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
  const planeBuilt =
    existsSync(cache) && readdirSync(cache).some((d) => existsSync(join(cache, d, "bin", "kube-proxy")));
  if (!haveGo && !planeBuilt) {
    throw new Error(
      "Go (1.25 or newer) is needed once, to build the control plane from Go modules into ~/.cache/kubenap; install it and run again",
    );
  }
  await runStep(
    planeBuilt
      ? "control plane binaries (cached in ~/.cache/kubenap)"
      : "building the control plane: etcd, kwok, kube-apiserver, controller-manager, scheduler, kubectl, kube-proxy (first time only: several minutes on 2 cores)",
    ["bash", join(root, "test", "cluster", "build-binaries.sh")],
    { quietMs: 10_000 },
  );
  await runStep("Traefik and the Gateway API CRDs (cached in ~/.cache/kubenap/proxies)", [
    "bash",
    join(root, "test", "e2e", "install-proxies.sh"),
  ]);
  const cli = join(root, "dist", "cli.js");
  if (!existsSync(cli) || statSync(cli).mtimeMs < newest(join(root, "src"))) {
    await runStep("building KubeNap (dist/ is older than src/)", [
      process.execPath,
      join(root, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      join(root, "tsconfig.build.json"),
    ]);
  } else say("✓ KubeNap built (dist/cli.js)");
}
