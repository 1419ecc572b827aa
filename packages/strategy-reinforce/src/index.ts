// @proxyless/strategy-reinforce: REINFORCE updates of binarized architecture parameters
// stub; filled by issue 6.
export {};
