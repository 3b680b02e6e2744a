// The real browser of the dashboard tests: Debian's Chromium (CHROMIUM_BIN to use another)
// driven by playwright-core, headless, closed by the test's cleanup.
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { Cleanup } from './cleanup.js';

export const chromiumBin = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** Whether Chromium is installed; when not, says which check is skipped and why. */
export function chromiumAvailable(what: string): boolean {
  const ok = existsSync(chromiumBin);
  if (!ok) console.warn(`${what} skipped: no Chromium at ${chromiumBin} (Debian package chromium; .ci/run installs it)`);
  return ok;
}

/** Launches headless Chromium; `cleanup` closes it. */
export async function launchChromium(cleanup: Cleanup): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumBin,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  cleanup.defer(() => browser.close(), 'chromium');
  return browser;
}
