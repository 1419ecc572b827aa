// @proxyless/space-mbconv: The ProxylessNAS MobileNetV2 (MBConv) search space
// stub; filled by issue 4.
export {};
