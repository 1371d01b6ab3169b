package sync

// noProxySet says what is not set when no proxy is.
const noProxySet = "no sync.proxy, no HTTPS_PROXY, no WinHTTP proxy (netsh winhttp show proxy)"
