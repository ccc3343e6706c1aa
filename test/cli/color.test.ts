/** Issue 18: NO_COLOR (https://no-color.org) and FORCE_COLOR, decided in one place (infra/cli/color.ts). */
import { describe, expect, it } from "vitest";
import { applyColorPolicy, colorAllowed } from "../../infra/cli/color";

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe("colorAllowed", () => {
  it("NO_COLOR with any non-empty value: never, even forced or on a terminal", () => {
    for (const value of ["1", "0", "false", "yes"]) {
      expect(colorAllowed(tty, { NO_COLOR: value, TERM: "xterm" }), value).toBe(false);
      expect(colorAllowed(tty, { NO_COLOR: value, FORCE_COLOR: "1", TERM: "xterm" }), value).toBe(false);
    }
    // An empty NO_COLOR is no NO_COLOR.
    expect(colorAllowed(tty, { NO_COLOR: "", TERM: "xterm" })).toBe(true);
  });

  it("FORCE_COLOR: 0 or false never, anything else always (a pipe included)", () => {
    expect(colorAllowed(pipe, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorAllowed(pipe, { FORCE_COLOR: "" })).toBe(true);
    expect(colorAllowed(tty, { FORCE_COLOR: "0", TERM: "xterm" })).toBe(false);
    expect(colorAllowed(tty, { FORCE_COLOR: "false", TERM: "xterm" })).toBe(false);
  });

  it("otherwise only a terminal that is not dumb; CI is no reason to colour a pipe", () => {
    expect(colorAllowed(tty, { TERM: "xterm-256color" })).toBe(true);
    expect(colorAllowed(tty, { TERM: "dumb" })).toBe(false);
    expect(colorAllowed(pipe, { TERM: "xterm-256color", CI: "true", GITHUB_ACTIONS: "true" })).toBe(false);
  });
});

describe("applyColorPolicy", () => {
  it("tells the libraries that decide for themselves (colorette reads NO_COLOR, and colours CI pipes otherwise)", () => {
    const saved = [process.stdout.isTTY, process.stderr.isTTY];
    try {
      process.stdout.isTTY = false;
      const ci: Record<string, string | undefined> = { CI: "true", GITHUB_ACTIONS: "true", FORCE_COLOR: "0" };
      applyColorPolicy(ci);
      expect(ci).toMatchObject({ NO_COLOR: "1" });
      expect(ci.FORCE_COLOR).toBeUndefined();

      process.stdout.isTTY = true;
      const emptyNoColor: Record<string, string | undefined> = { NO_COLOR: "", TERM: "xterm" };
      applyColorPolicy(emptyNoColor);
      expect("NO_COLOR" in emptyNoColor).toBe(false);
    } finally {
      [process.stdout.isTTY, process.stderr.isTTY] = saved as [boolean, boolean];
    }
  });
});
