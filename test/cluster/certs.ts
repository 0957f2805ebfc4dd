import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Paths of the PKI generated for one control plane. */
export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** Generates a throwaway CA, an API server serving cert, a system:masters client cert and a SA key. */
export function generatePki(dir: string): Pki {
  const p = (f: string): string => join(dir, f);
  openssl(["genrsa", "-out", "ca.key", "2048"], dir);
  openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "7",
      "-subj",
      "/CN=kubenap-test-ca",
    ],
    dir,
  );
  const sign = (name: string, subj: string, ext: string): void => {
    openssl(["genrsa", "-out", `${name}.key`, "2048"], dir);
    openssl(["req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", subj], dir);
    writeFileSync(p(`${name}.ext`), ext);
    openssl(
      ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"].concat([
        "-out",
        `${name}.crt`,
        "-days",
        "7",
        "-extfile",
        `${name}.ext`,
      ]),
      dir,
    );
  };
  sign(
    "serving",
    "/CN=kube-apiserver",
    "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n" +
      "extendedKeyUsage=serverAuth\n",
  );
  sign("admin", "/O=system:masters/CN=kubenap-test-admin", "extendedKeyUsage=clientAuth\n");
  openssl(["genrsa", "-out", "sa.key", "2048"], dir);
  openssl(["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  return {
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    servingCert: p("serving.crt"),
    servingKey: p("serving.key"),
    adminCert: p("admin.crt"),
    adminKey: p("admin.key"),
    saKey: p("sa.key"),
    saPub: p("sa.pub"),
  };
}

/** A kubeconfig that authenticates with the system:masters client certificate. */
export function kubeconfigYaml(server: string, pki: Pki): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: kubenap-test",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority: ${pki.caCert}`,
    "users:",
    "- name: admin",
    "  user:",
    `    client-certificate: ${pki.adminCert}`,
    `    client-key: ${pki.adminKey}`,
    "contexts:",
    "- name: kubenap-test",
    "  context: {cluster: kubenap-test, user: admin}",
    "current-context: kubenap-test",
    "",
  ].join("\n");
}
