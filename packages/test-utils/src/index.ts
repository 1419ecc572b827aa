// @proxyless/test-utils: Shared test utilities and fixtures (private)
// issue 2 (fixtures) and issue 3 (conformance helpers).
export {};
