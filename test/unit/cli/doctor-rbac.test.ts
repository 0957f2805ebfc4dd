import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { CLUSTER_RULES, LEASE_RULES } from "../../../src/cli/doctor/rbac.js";

interface Doc {
  kind?: string;
  metadata?: { name?: string };
  rules?: unknown[];
}

const docs = parseAllDocuments(readFileSync("deploy/rbac.yaml", "utf8")).map((d) => d.toJS() as Doc);
const rules = (kind: string, name: string): unknown[] =>
  docs.find((d) => d.kind === kind && d.metadata?.name === name)?.rules ?? [];

describe("kubenap doctor's RBAC list", () => {
  it("equals the ClusterRole kubenap in deploy/rbac.yaml", () => {
    expect(CLUSTER_RULES).toEqual(rules("ClusterRole", "kubenap"));
  });

  it("equals the leader-election Role in deploy/rbac.yaml", () => {
    expect(LEASE_RULES).toEqual(rules("Role", "kubenap-leader-election"));
  });
});
