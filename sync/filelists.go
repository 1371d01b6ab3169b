package sync

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RegisterFileListsAge registers markd_sync_lists_age_seconds on reg for
// lists kept as files (no distribution key, so no Poller registers it):
// the same gauge MarkdListsStale reads of a counter with bundles. The
// keyring, tariff and revocation formats carry no date of issue, so the
// age is the time since modified, the newest modification time of the
// files in force (zero = not known: -1). now is the counter's clock.
func RegisterFileListsAge(reg *prometheus.Registry, modified, now func() time.Time) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "markd_sync_lists_age_seconds",
		Help: "Lists kept as files: time since the newest of the keyring, tariff and revocation files in force was modified (-1 = not known)."},
		func() float64 {
			mod := modified()
			if mod.IsZero() {
				return -1
			}
			return max(0, now().Sub(mod).Seconds())
		}))
}
