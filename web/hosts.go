package web

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// guardHost refuses a request whose Host header is not a name of this
// counter: an IP address, localhost, or one of Options.Hosts. A page of
// another site whose name an attacker points at 127.0.0.1 (DNS
// rebinding) would otherwise read the operator's API from the browser as
// a same-origin page. Under TLS every answer also carries HSTS.
// maxHostEcho is how much of a refused Host its refusal quotes.
const maxHostEcho = 100

func (s *Server) guardHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.allowedHost(r.Host) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusMisdirectedRequest)
			host := r.Host
			if len(host) > maxHostEcho { // up to a mebibyte of header, chosen by whoever sent it
				host = strings.ToValidUTF8(host[:maxHostEcho], "") + "…"
			}
			fmt.Fprintf(w, "host %q is not a name of this counter: use its address, or add the name to http.hosts in the config\n", host)
			return
		}
		if s.opt.TLS {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) allowedHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" || host == "localhost" || net.ParseIP(host) != nil {
		return true
	}
	for _, name := range s.opt.Hosts {
		if strings.EqualFold(strings.TrimSuffix(name, "."), host) {
			return true
		}
	}
	return false
}
