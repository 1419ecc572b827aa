import { defineProject, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.base.ts';

// Opens the demo page in a real headless Chromium (skipped, with the reason printed, only when no
// Chromium is installed). Run alone with `--project browser-demo-chromium`.
export default mergeConfig(base, defineProject({ test: { name: 'browser-demo-chromium', include: ['*.test.ts'], testTimeout: 300_000, hookTimeout: 300_000 } }));
