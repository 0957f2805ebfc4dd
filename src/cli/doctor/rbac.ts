// Every permission KubeNap uses, declared once here in deploy/rbac.yaml's shape; a unit test checks that
// this list equals the ClusterRole and the leader-election Role, so they cannot drift.
import { AuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { client } from "../kube.js";
import { fail, firstLine, pass, type Check } from "./check.js";

/** One RBAC rule, as in a (Cluster)Role. */
export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The ClusterRole `kubenap` (deploy/rbac.yaml): namespaced resources, checked per watched namespace. */
export const CLUSTER_RULES: readonly Rule[] = [
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "patch"] },
  { apiGroups: [""], resources: ["services"], verbs: ["list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["list", "watch"] },
  {
    apiGroups: ["gateway.networking.k8s.io"],
    resources: ["httproutes", "gateways"],
    verbs: ["list", "watch"],
  },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["list"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
];

/** The Role `kubenap-leader-election` in the Lease's namespace; resourceNames is the default --lease-name. */
export const LEASE_RULES: readonly Rule[] = [
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
  {
    apiGroups: ["coordination.k8s.io"],
    resources: ["leases"],
    resourceNames: ["kubenap-monitor"],
    verbs: ["get", "update"],
  },
];

/** Whose permissions: the caller (SelfSubjectAccessReview) or --as USER (SubjectAccessReview). */
export interface RbacScope {
  as?: string;
  /** Watched namespaces; empty: all namespaces. */
  namespaces: string[];
  leaseNamespace?: string;
  leaseName: string;
}

interface Attributes {
  group: string;
  resource: string;
  verb: string;
  namespace?: string;
  name?: string;
}

/** Groups the API server would give a ServiceAccount user (a SubjectAccessReview does not infer them). */
function groupsOf(user: string): string[] {
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(user);
  return sa ? ["system:serviceaccounts", `system:serviceaccounts:${sa[1]}`, "system:authenticated"] : [];
}

async function allowed(kc: KubeConfig, as: string | undefined, a: Attributes): Promise<boolean> {
  const api = client(kc, AuthorizationV1Api);
  const resourceAttributes = { ...a, ...(a.namespace === undefined && { namespace: "" }) };
  const r = as
    ? await api.createSubjectAccessReview({
        body: { spec: { user: as, groups: groupsOf(as), resourceAttributes } },
      })
    : await api.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes } } });
  return r.status?.allowed === true;
}

const resourceName = (group: string, resource: string): string => (group ? `${resource}.${group}` : resource);

async function checkRule(
  kc: KubeConfig,
  as: string | undefined,
  rule: Rule,
  namespace: string | undefined,
  name: string | undefined,
): Promise<Check[]> {
  const where = namespace ? `namespace ${namespace}` : "all namespaces";
  const out: Check[] = [];
  for (const group of rule.apiGroups) {
    for (const resource of rule.resources) {
      const what = `RBAC: ${rule.verbs.join(", ")} ${resourceName(group, resource)}${name ? ` ${name}` : ""} (${where})`;
      try {
        const missing: string[] = [];
        for (const verb of rule.verbs) {
          if (
            !(await allowed(kc, as, {
              group,
              resource,
              verb,
              ...(namespace && { namespace }),
              ...(name && { name }),
            }))
          )
            missing.push(verb);
        }
        out.push(
          missing.length === 0
            ? pass(what)
            : fail(
                what,
                `${as ?? "you"} may not ${missing.join(", ")}`,
                `grant it (kubectl apply -f deploy/rbac.yaml: ${namespace && name ? "Role kubenap-leader-election" : "ClusterRole kubenap"} and its binding)`,
              ),
        );
      } catch (err) {
        out.push(
          fail(
            what,
            `cannot ask the API server (${firstLine(err)})`,
            as
              ? "--as needs permission to create subjectaccessreviews; run doctor as an admin"
              : "check the kubeconfig",
          ),
        );
      }
    }
  }
  return out;
}

/** One line per rule (and namespace): ✓ when every verb is allowed, else the missing verbs. */
export async function rbacChecks(kc: KubeConfig, scope: RbacScope): Promise<Check[]> {
  const namespaces: (string | undefined)[] = scope.namespaces.length > 0 ? scope.namespaces : [undefined];
  const jobs: Promise<Check[]>[] = [];
  for (const ns of namespaces)
    for (const rule of CLUSTER_RULES) jobs.push(checkRule(kc, scope.as, rule, ns, undefined));
  if (scope.leaseNamespace !== undefined) {
    for (const rule of LEASE_RULES) {
      const name = rule.resourceNames ? scope.leaseName : undefined;
      jobs.push(checkRule(kc, scope.as, rule, scope.leaseNamespace, name));
    }
  }
  return (await Promise.all(jobs)).flat();
}
