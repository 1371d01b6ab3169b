//go:build !windows

package sync

// noProxySet says what is not set when no proxy is.
const noProxySet = "no sync.proxy, no HTTPS_PROXY"
