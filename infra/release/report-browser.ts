/**
 * Debian's headless Chromium, driven by playwright-core (no browser download): what the report
 * test and the README screenshots open pages with. Every launch gets a fresh profile directory,
 * removed on close, and the network is refused (the report must need none).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface OpenBrowser {
  context: BrowserContext;
  /** Every URL a page tried to load that is not file: or data: (all of them refused). */
  networkRequests: string[];
  close(): Promise<void>;
}

/** Launches Chromium; throws with how to install it when it is not there (never skips). */
export async function openChromium(): Promise<OpenBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`);
  }
  const profile = mkdtempSync(join(tmpdir(), "report-chromium-"));
  let browser: Browser | undefined;
  let context: BrowserContext;
  try {
    // launchPersistentContext is how playwright takes a user-data-dir of our own.
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1280, height: 900 }, timeout: 60_000 });
    browser = context.browser() ?? undefined;
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const networkRequests: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
    networkRequests.push(url);
    return route.abort();
  });
  return {
    context,
    networkRequests,
    close: async () => {
      try {
        await context.close();
        await browser?.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
