//go:build !windows

package proxyurl

// SystemWinHTTP is the machine's WinHTTP proxy setting; there is none but
// on Windows.
func SystemWinHTTP() (w WinHTTP, ok bool, err error) { return WinHTTP{}, false, nil }
