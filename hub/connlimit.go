package hub

import (
	"net"

	"markd/internal/connlimit"
)

// DefaultMaxConnsPerAddr caps the connections one remote address holds
// open to the collector at once (max_conns_per_addr). A counter holds
// one or two (its pump overlaps two uploads; a browser of the regional
// pages six): 64 is far above both, and still bounds what one host can
// hold open with slow or idle connections. Keyed on the address, not on
// the terminal: the cap acts at accept, before the TLS handshake (the
// costly part of a flood of connections) and before any credential is
// seen, and terminals with tokens have no certificate to key on. Behind
// a proxy or load balancer every connection comes from its address: set
// 0 (off) there and cap at the proxy.
const DefaultMaxConnsPerAddr = 64

// LimitConns caps the connections of ln open at once per remote IP
// address at max: a connection past it is closed at accept (the client
// sees it reset or closed before any answer), counted in
// markhub_connections_refused_total and logged at most once a minute.
// max <= 0: ln as it is.
func (s *Server) LimitConns(ln net.Listener, max int) net.Listener {
	return connlimit.Wrap(ln, max, connlimit.Options{Log: s.log, Refused: s.connsRefused, Key: "max_conns_per_addr",
		Hint: "behind a proxy or load balancer every client has its address: set max_conns_per_addr: 0 there"})
}
