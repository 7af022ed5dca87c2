import { type Browser, chromium } from 'playwright-core';
import { inject } from 'vitest';

/** Debian's Chromium, found (or installed) by test/e2e/global-setup.ts (tools/prereqs.mjs). */
export const CHROMIUM = inject('chromiumPath');

// Headless, no sandbox (containers), and nothing that reaches the network by itself.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** One headless Chromium for a test file (close it in afterAll). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
