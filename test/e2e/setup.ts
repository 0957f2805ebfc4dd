import { afterAll, jest } from "@jest/globals";
import { deleteTestNamespaces } from "../integration/helpers/kube.js";

// Journeys include real wakes through real proxies; each wait carries its own, tighter bound.
jest.setTimeout(240_000);

// The integration helpers (namespaces, apps, waits) talk to the API server through the world's bridge.
const kubeconfig = process.env.KUBENAP_E2E_KUBECONFIG;
if (kubeconfig) process.env.KUBENAP_TEST_KUBECONFIG = kubeconfig;

afterAll(async () => {
  if (kubeconfig) await deleteTestNamespaces();
});
