// @proxyless/strategy-binaryconnect: BinaryConnect-style gradient updates of binarized architecture gates with a latency-aware loss
// stub; filled by issue 5.
export {};
