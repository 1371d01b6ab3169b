package proxyurl

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// SystemWinHTTP is the machine's WinHTTP proxy setting (`netsh winhttp
// set proxy`), read from the registry: ok false when there is none (no
// key or no value: `netsh winhttp reset proxy` on a machine where it was
// never set). An unreadable value is ErrWinHTTP.
func SystemWinHTTP() (w WinHTTP, ok bool, err error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, WinHTTPKey, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return w, false, nil
	}
	if err != nil {
		return w, false, fmt.Errorf(`HKLM\%s: %w: %w`, WinHTTPKey, ErrWinHTTP, err)
	}
	defer k.Close()
	b, _, err := k.GetBinaryValue(WinHTTPValue)
	if errors.Is(err, registry.ErrNotExist) {
		return w, false, nil
	}
	if err != nil {
		return w, false, fmt.Errorf(`HKLM\%s\%s: %w: %w`, WinHTTPKey, WinHTTPValue, ErrWinHTTP, err)
	}
	if w, err = ParseWinHTTP(b); err != nil {
		return w, false, fmt.Errorf(`HKLM\%s\%s: %w`, WinHTTPKey, WinHTTPValue, err)
	}
	return w, true, nil
}
