// npm run cluster:up / cluster:down: a control plane in the background for development by hand.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { launchSupervisor } from "./launch.js";

const stateDir = join(process.env.KUBENAP_CACHE ?? join(homedir(), ".cache", "kubenap"), "dev-plane");
const stateFile = join(stateDir, "state.json");

async function up(): Promise<void> {
  if (existsSync(stateFile)) {
    const s = JSON.parse(readFileSync(stateFile, "utf8")) as { pid: number; kubeconfig: string };
    if (alive(s.pid)) {
      console.log(`already running (pid ${s.pid})`);
      console.log(`KUBECONFIG=${s.kubeconfig}`);
      return;
    }
  }
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const { child, info } = await launchSupervisor(["--detached", `--dir=${join(stateDir, "plane")}`], true);
  writeFileSync(stateFile, JSON.stringify({ pid: child.pid, ...info }));
  child.stdout?.destroy();
  child.stderr?.destroy();
  child.unref();
  console.log(
    `control plane running (pid ${child.pid}); logs in ${info.dir}/logs; stop with npm run cluster:down`,
  );
  console.log(`KUBECONFIG=${info.kubeconfig}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function down(): Promise<void> {
  if (!existsSync(stateFile)) {
    console.log("no control plane is running");
    return;
  }
  const { pid } = JSON.parse(readFileSync(stateFile, "utf8")) as { pid: number };
  if (alive(pid)) process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 20_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, "SIGKILL");
  rmSync(stateDir, { recursive: true, force: true });
  console.log("control plane stopped");
}

const cmd = process.argv[2];
if (cmd === "up") await up();
else if (cmd === "down") await down();
else {
  console.error("usage: cli.ts up|down");
  process.exit(2);
}
