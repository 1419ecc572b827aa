// @proxyless/space-tree-cell: The PyramidNet tree-cell search space of ProxylessNAS
// stub; filled by a later issue.
export {};
