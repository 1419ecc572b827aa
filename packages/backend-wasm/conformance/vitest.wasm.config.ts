import { defineProject, mergeConfig } from 'vitest/config';
import base from '../../../vitest.config.base.ts';

// Conformance suite on the `wasm` backend (root: this folder; see README "Conformance").
export default mergeConfig(base, defineProject({
  test: { name: 'wasm', include: ['*.conformance.test.ts'], setupFiles: ['./setup-wasm.ts'] },
}));
