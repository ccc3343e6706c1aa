/**
 * The CLI run in this process with stdout and stderr captured (console.log included), as pipes
 * rather than terminals unless the caller keeps the streams as they are; `env` is set for the run
 * only.
 */
import { vi } from "vitest";
import { main } from "../../infra/cli/main";

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export async function captureCli(args: string[], opts: { env?: Record<string, string>; pipes?: boolean } = {}): Promise<Captured> {
  let stdout = "";
  let stderr = "";
  const env = opts.env ?? {};
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const streams = [process.stdout, process.stderr] as const;
  const tty = streams.map((s) => Object.getOwnPropertyDescriptor(s, "isTTY"));
  if (opts.pipes) for (const s of streams) Object.defineProperty(s, "isTTY", { value: false, configurable: true });
  const spies = [
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true)),
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true)),
    vi.spyOn(console, "log").mockImplementation((...parts: unknown[]) => void (stdout += `${parts.join(" ")}\n`)),
  ];
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    for (const spy of spies) spy.mockRestore();
    if (opts.pipes) {
      streams.forEach((s, i) => {
        const d = tty[i];
        if (d) Object.defineProperty(s, "isTTY", d);
        else delete (s as { isTTY?: boolean }).isTTY;
      });
    }
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
