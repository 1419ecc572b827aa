// @proxyless/backend-tfjs-node: Optional @tensorflow/tfjs-node(-gpu) backends for proxyless
// backend plugin with clear errors when tfjs-node is absent: issue 2; measured GPU latency: issue 7.
export {};
