import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { clients, testKubeConfig } from "./kube.js";

/** A kubeconfig that authenticates as a ServiceAccount of the namespace (a TokenRequest token). */
export async function serviceAccountKubeconfig(ns: string): Promise<string> {
  const { core } = clients();
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: "kubenap" } } });
  const tr = await core.createNamespacedServiceAccountToken({
    name: "kubenap",
    namespace: ns,
    body: { spec: { expirationSeconds: 3600, audiences: [] } },
  });
  const base = testKubeConfig();
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error("no cluster");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: "sa", token: tr.status?.token ?? "" }],
    contexts: [{ name: "sa", cluster: cluster.name, user: "sa", namespace: ns }],
    currentContext: "sa",
  });
  const file = join(mkdtempSync(join(tmpdir(), "kubenap-sa-")), "kubeconfig");
  writeFileSync(file, kc.exportConfig());
  return file;
}
