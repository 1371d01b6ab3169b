package cli

import (
	"net"
	"strconv"
)

// ListenPortWhy is what is wrong with the port of a listen address
// (host:port), "" when nothing: a number 0..65535 or a service name the
// system knows (http). Checked at load, so a port out of range stops the
// start as a configuration error naming its key (exit 78, not restarted)
// instead of failing at listen as a port taken (exit 1, restarted every
// two seconds with the hint that another program holds it).
func ListenPortWhy(hostport string) string {
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return ""
	}
	if port == "" {
		return "names no port: write host:port, such as 127.0.0.1:8080"
	}
	if n, err := strconv.ParseUint(port, 10, 64); err == nil {
		if n > 65535 {
			return "the port must be 0..65535"
		}
		return ""
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return "the port must be a number 0..65535 (or a service name this system knows)"
	}
	return ""
}
