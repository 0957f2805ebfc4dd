import type { CliIO } from "./io.js";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Progress of a long step: a spinner with the elapsed time on a terminal, one plain line per step otherwise. */
export function progress(
  io: CliIO,
  title: string,
): { step(text: string): void; done(text: string): void; fail(): void } {
  const started = Date.now();
  let current = title;
  let frame = 0;
  const draw = (): void => {
    const s = ((Date.now() - started) / 1000).toFixed(1);
    io.out(`\r\u001b[2K${FRAMES[frame++ % FRAMES.length]} ${current} (${s} s)`);
  };
  const timer = io.isTTY ? setInterval(draw, 100) : undefined;
  timer?.unref();
  if (io.isTTY) draw();
  else io.out(`${title}\n`);
  const clear = (): void => {
    if (timer) clearInterval(timer);
    if (io.isTTY) io.out("\r\u001b[2K");
  };
  return {
    step(text) {
      current = `${title}: ${text}`;
      if (!io.isTTY) io.out(`  ${text} (${Date.now() - started} ms)\n`);
    },
    done(text) {
      clear();
      io.out(`${text}\n`);
    },
    fail: clear,
  };
}
