// The tiny space is the worked space example of docs/writing-a-plugin.md: examples/space-tiny
// (`proxyless-space-tiny`). Tests keep naming it through `@proxyless/test-utils`.
export * from 'proxyless-space-tiny';
