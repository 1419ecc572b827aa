import { defineProject, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.base.ts';

// The browser target's tests: real measurements inside headless Chromium (skipped, with the reason
// printed, only when no Chromium is installed). Run them alone with `--project browser-chromium`.
export default mergeConfig(base, defineProject({ test: { name: 'browser-chromium', testTimeout: 300_000, hookTimeout: 300_000 } }));
