import type { TestProject } from 'vitest/node';
import { ensureChromium } from '../../tools/prereqs.mjs';

/**
 * Runs only when browser tests are part of the run: finds Chromium, installing it with apt-get on
 * Debian/Ubuntu as root, or fails the run with the one command that installs it (tools/prereqs.mjs).
 */
export default async function setup(project: TestProject) {
  project.provide('chromiumPath', await ensureChromium());
}

declare module 'vitest' {
  export interface ProvidedContext {
    chromiumPath: string;
  }
}
