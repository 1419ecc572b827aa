import { defineProject, mergeConfig } from 'vitest/config';
import base from '../../../vitest.config.base.ts';

// Conformance suite on the `cpu` backend (root: this folder; see README "Conformance").
export default mergeConfig(base, defineProject({
  test: { name: 'cpu', include: ['*.conformance.test.ts'], setupFiles: ['./setup-cpu.ts'] },
}));
