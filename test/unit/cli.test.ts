import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const kubenap = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    encoding: "utf8",
    timeout: 30_000,
  });

describe("the kubenap CLI", () => {
  it("lists every configuration problem at once and exits 2", () => {
    const r = kubenap("run", "--sweep-interval", "10", "--bogus", "1");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--sweep-interval="10": expected a duration');
    expect(r.stderr).toContain('--bogus="1": unknown option');
  });

  it("says which kubeconfig it cannot load, without a stack trace", () => {
    const r = kubenap("run", "--kubeconfig", "/nonexistent/kubeconfig");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^cannot load the kubeconfig \/nonexistent\/kubeconfig: ENOENT/);
    expect(r.stderr).not.toContain("    at ");
  });

  it("rejects an unknown metrics source, listing the available ones", () => {
    const r = kubenap("run", "--metrics-source", "graphite");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown metrics source "graphite"; available: .*none/);
  });

  it("names every option a metrics source lacks before it contacts the cluster, and exits 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "kubenap-cli-"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n" +
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
    );
    const r = kubenap(
      "run",
      "--kubeconfig",
      kubeconfig,
      "--metrics-source",
      "prometheus",
      "--metrics-sources",
      "logs,graphite",
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--prometheus-url="": required by this metrics source');
    expect(r.stderr).toContain("--logs-files");
    expect(r.stderr).toMatch(/--metrics-sources="graphite": unknown metrics source/);
    expect(r.stderr).not.toContain("    at ");
  });

  it("prints help with every option and annotation", () => {
    const r = kubenap("help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--wake-port");
    expect(r.stdout).toContain("kubenap/idleAfter");
  });
});
