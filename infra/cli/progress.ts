/**
 * What a command is doing, on stderr (stdout stays the command's output: a report, JSON, `--out -`).
 * Every step of a command that can take more than a moment (evaluating policy packs, a database,
 * an embedded PostgreSQL, AWS, the release pipeline) runs through `step`:
 *
 * - on a terminal: a spinner line with the elapsed time, redrawn in place with a carriage return
 *   (no cursor movement, so NO_COLOR output holds no escape at all), then `✓ title: done in 2.1 s`;
 * - elsewhere (CI logs, pipes): plain lines, `› title…` when it starts, a line every 30 s while it
 *   runs, `✓ title: done in 2.1 s` (or `✗ title: failed after …`) when it ends;
 * - with `--quiet`: nothing.
 */
import { styleText } from "node:util";
import { MessageChannel, Worker } from "node:worker_threads";
import { onInterrupt } from "../interrupt";
import { colorFor } from "./color";

export interface StepControl {
  /** What the step is at now (a phase, the current file): the spinner's suffix, a line in plain output. */
  update(detail: string): void;
}

/** Plain output says a step is still running this often (CI logs show a live job). */
export const HEARTBEAT_MS = 30_000;
const FRAME_MS = 100;
/** How long the main thread waits for the spinner thread to clear its line. */
const HANDSHAKE_MS = 2_000;

let quiet = false;

/** `--quiet`: no progress at all (errors and warnings still go to stderr). */
export function setQuiet(value: boolean): void {
  quiet = value;
}

export function isQuiet(): boolean {
  return quiet;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function paint(format: "green" | "red", text: string): string {
  return colorFor("stderr") ? styleText(format, text) : text;
}

/**
 * The spinner runs in a worker thread writing to fd 2 itself: a step's work may block the main
 * thread for seconds (the policy packs evaluate synchronously), and a spinner on the main event
 * loop would freeze exactly then. The threads hand the line over through shared memory:
 * ctl[0] is the main thread's command (0 draw, 1 pause, 2 stop), ctl[1] the spinner's
 * acknowledgement (the command it obeyed, its line cleared).
 */
const SPINNER_THREAD = `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const { ctl, port, title, started, columns, color, frameMs } = workerData;
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
let detail = "", width = 0, frame = 0;
const write = (s) => { try { writeSync(2, s); } catch { /* a terminal that refuses a frame loses it */ } };
const clear = () => { if (width > 0) write("\\r" + " ".repeat(width) + "\\r"); width = 0; };
const draw = () => {
  const elapsed = Date.now() - started;
  const suffix = (detail ? ": " + detail : "") + (elapsed >= 1000 ? " (" + Math.floor(elapsed / 1000) + " s)" : "");
  // Longer than the terminal is wide, a carriage return would not get back to the line's start.
  const text = (FRAMES[frame % FRAMES.length] + " " + title + "…" + suffix).slice(0, columns);
  const head = color ? "\\u001b[36m" + text.slice(0, 1) + "\\u001b[39m" : text.slice(0, 1);
  write("\\r" + head + text.slice(1) + " ".repeat(Math.max(0, width - text.length)));
  width = text.length;
};
for (;;) {
  for (let m; (m = receiveMessageOnPort(port)); ) detail = m.message;
  const cmd = Atomics.load(ctl, 0);
  if (cmd !== 0) {
    clear();
    Atomics.store(ctl, 1, cmd);
    Atomics.notify(ctl, 1);
    if (cmd === 2) break;
    Atomics.wait(ctl, 0, 1);
    continue;
  }
  draw();
  frame++;
  Atomics.wait(ctl, 0, 0, frameMs);
}
port.close();
`;

interface Spinner {
  update(detail: string): void;
  /** Clears the line and stops drawing until resume. */
  pause(): void;
  resume(): void;
  stop(): void;
}

function startSpinner(title: string, started: number): Spinner {
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const columns = Math.max(20, (process.stderr.columns || 80) - 1);
  const color = colorFor("stderr");
  // The first frame at once, from here: the thread takes a moment to start.
  const first = `⠋ ${title}…`.slice(0, columns);
  process.stderr.write(`\r${color ? `\u001b[36m${first.slice(0, 1)}\u001b[39m` : first.slice(0, 1)}${first.slice(1)}`);
  let drawnByMain = first.length;
  const worker = new Worker(SPINNER_THREAD, { eval: true, workerData: { ctl, port: port2, title, started, columns, color, frameMs: FRAME_MS }, transferList: [port2] });
  worker.unref();
  let alive = true;
  worker.on("error", () => (alive = false));
  worker.on("exit", () => (alive = false));
  const command = (cmd: 1 | 2): void => {
    Atomics.store(ctl, 1, 0);
    Atomics.store(ctl, 0, cmd);
    Atomics.notify(ctl, 0);
    const until = Date.now() + HANDSHAKE_MS;
    while (alive && Atomics.load(ctl, 1) !== cmd && Date.now() < until) Atomics.wait(ctl, 1, 0, 50);
    // The main thread's first frame, if the thread never drew over it.
    if (drawnByMain > 0) process.stderr.write(`\r${" ".repeat(drawnByMain)}\r`);
    drawnByMain = 0;
  };
  return {
    update: (detail) => port1.postMessage(detail),
    pause: () => command(1),
    resume: () => {
      Atomics.store(ctl, 0, 0);
      Atomics.notify(ctl, 0);
    },
    stop: () => {
      command(2);
      port1.close();
    },
  };
}

/** The spinner on the terminal, if one runs: other output pauses it. */
let live: Spinner | undefined;

/** A whole line on stderr, above the spinner if one runs. */
function emit(line: string): void {
  live?.pause();
  process.stderr.write(`${line}\n`);
  live?.resume();
}

/**
 * A line of progress that is not a step (a runner that logs its own phases): above the spinner
 * on a terminal, as it is elsewhere. Silent with --quiet.
 */
export function progressLine(line: string): void {
  if (!quiet) emit(line);
}

/** A line that must be seen even with --quiet (a warning): above the spinner, if one runs. */
export function notice(line: string): void {
  emit(line);
}

/** Runs `work` as one named step, showing it on stderr while it runs and how it ended. */
export async function step<T>(title: string, work: (control: StepControl) => Promise<T> | T): Promise<T> {
  if (quiet) return work({ update: () => undefined });
  // A step inside a step (or two at once) reports as plain lines: one line redraws at a time.
  const spinner = process.stderr.isTTY === true && live === undefined ? startSpinner(title, Date.now()) : undefined;
  const started = Date.now();
  let detail = "";
  let ended = false;
  let heartbeat: NodeJS.Timeout | undefined;
  if (spinner) live = spinner;
  else {
    emit(`› ${title}…`);
    heartbeat = setInterval(() => emit(`  … ${title}: still running after ${seconds(Date.now() - started)}`), HEARTBEAT_MS);
    heartbeat.unref();
  }
  const end = (outcome: "done" | "failed" | "interrupted"): void => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    if (spinner) {
      spinner.stop();
      live = undefined;
    }
    const took = seconds(Date.now() - started);
    emit(outcome === "done" ? `${paint("green", "✓")} ${title}: done in ${took}` : `${paint("red", "✗")} ${title}: ${outcome} after ${took}`);
  };
  const unregister = onInterrupt(() => end("interrupted"));
  const control: StepControl = {
    update: (text) => {
      if (ended || text === detail) return;
      detail = text;
      if (spinner) spinner.update(text);
      else emit(`  ${text}`);
    },
  };
  try {
    const result = await work(control);
    end("done");
    return result;
  } catch (err) {
    end("failed");
    throw err;
  } finally {
    unregister();
  }
}
