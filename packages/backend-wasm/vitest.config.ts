import { defineProject, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.base.ts';

// Unit tests of the package. The cross-backend conformance suite (conformance/) has one project per
// backend: conformance/vitest.{cpu,wasm,tensorflow}.config.ts, listed in the root vitest.config.ts.
export default mergeConfig(base, defineProject({ test: { name: '@proxyless/backend-wasm', exclude: ['conformance/**'] } }));
