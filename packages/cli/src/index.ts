// @proxyless/cli: The `proxyless` command-line interface
// filled by issue 2 (foundation).
export {};
