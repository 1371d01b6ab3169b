// Package deploy holds what operations teams load beside the binaries: the
// Prometheus alert rules (prometheus/) and the Grafana dashboard (grafana/)
// for markd and markhub. Its test checks them against the metrics the
// daemons really register, and with promtool when it is installed.
package deploy
