import { defineProject, mergeConfig } from 'vitest/config';
import base from '../../../vitest.config.base.ts';

// Conformance suite on the `tensorflow` backend (root: this folder; see README "Conformance").
export default mergeConfig(base, defineProject({
  test: { name: 'tensorflow', include: ['*.conformance.test.ts'], setupFiles: ['./setup-tensorflow.ts'] },
}));
