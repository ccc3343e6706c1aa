/**
 * When each release step runs: as soon as the steps it `needs` have finished, alongside every
 * other step that is ready (the backend's tsc build, a CPU-bound child process, overlaps the
 * PostgreSQL-bound migration verify, the policy evaluation and the API check). What people and
 * records see does not depend on that: results are kept in the declared order, and each step's
 * progress messages are kept so a display can show them step by step in that order.
 */
import type { ReleaseStep, StepResult } from "./types";

/** For each step, the ids of the steps it waits for: its `needs` that are in the run, or every earlier step. */
export function waitsFor(steps: readonly ReleaseStep[]): string[][] {
  const ids = steps.map((s) => s.id);
  return steps.map((s, i) => {
    if (s.needs === undefined) return ids.slice(0, i);
    for (const need of s.needs) {
      const at = ids.indexOf(need);
      if (at >= i) throw new Error(`release step "${s.id}" needs "${need}", which ${at === i ? "is itself" : "comes after it"}: a step can only wait for earlier steps (move it before "${s.id}" in the list)`);
    }
    return s.needs.filter((need) => ids.includes(need));
  });
}

export interface ScheduledStep {
  step: ReleaseStep;
  /** The steps it waits for (in this run). */
  waitsFor: string[];
  /** Whether it has started (a display shows the others as waiting). */
  started(): boolean;
  /** Calls `listener` with every progress message so far, then with each new one; returns the unsubscribe. */
  follow(listener: (message: string) => void): () => void;
  /** Its result; undefined when it was not started (the run was interrupted first). */
  done: Promise<StepResult | undefined>;
}

export interface ScheduleOptions {
  /** Runs one step; `progress` reports what it is doing. Expected to turn failures into a failed result. */
  run(step: ReleaseStep, progress: (message: string) => void): Promise<StepResult>;
  /** Asked before each step starts: false (interrupted) leaves it unstarted. */
  mayStart(): boolean;
  /** Called after each step finishes, with the finished steps' results in declared order. */
  onResults(results: StepResult[]): void;
}

/** Starts every step as soon as it may; the returned handles are in declared order. */
export function scheduleSteps(steps: readonly ReleaseStep[], options: ScheduleOptions): ScheduledStep[] {
  const waits = waitsFor(steps);
  const finished: (StepResult | undefined)[] = steps.map(() => undefined);
  const settled = new Map<string, Promise<unknown>>();
  return steps.map((step, i) => {
    const messages: string[] = [];
    const listeners = new Set<(message: string) => void>();
    let started = false;
    const progress = (message: string) => {
      messages.push(message);
      for (const l of listeners) l(message);
    };
    // A failed or broken step still lets the steps after it run (every step runs; the verdict names the failures).
    const done = Promise.allSettled(waits[i]!.map((id) => settled.get(id))).then(async () => {
      if (!options.mayStart()) return undefined;
      started = true;
      const result = await options.run(step, progress);
      finished[i] = result;
      options.onResults(finished.filter((r): r is StepResult => r !== undefined));
      return result;
    });
    settled.set(step.id, done);
    return {
      step,
      waitsFor: waits[i]!,
      started: () => started,
      follow(listener) {
        for (const m of messages) listener(m);
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      done,
    };
  });
}
