import { afterAll, jest } from "@jest/globals";
import { deleteTestNamespaces } from "./helpers/kube.js";

// Integration tests wait on real watch events (each wait carries its own, tighter bound).
jest.setTimeout(120_000);

// Each file cleans up its namespaces, so a long-lived plane (npm run cluster:up) does not fill up.
afterAll(async () => {
  if (process.env.KUBENAP_TEST_KUBECONFIG) await deleteTestNamespaces();
});
