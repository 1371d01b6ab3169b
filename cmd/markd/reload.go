package main

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyHUP starts catching SIGHUP (a reload of the lists); stop undoes
// it. It is registered before the daemon says it listens, so a SIGHUP
// never meets the default action (exit).
func notifyHUP() (hup <-chan os.Signal, stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	return ch, func() { signal.Stop(ch) }
}
