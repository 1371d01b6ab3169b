package verify

import "log/slog"

// DistrustedMsg is the message of the ERROR line that names a distrusted
// key (LogDistrusted).
const DistrustedMsg = "keyring: an issuer key is distrusted: every mark under it is REJECT BAD_SIGNATURE"

// LogDistrusted logs each distrusted key of k (Keyring.Distrusted) at
// ERROR, one line a key: the loaders call it once a load (markd run's
// start and each reload, a bundle applied, the collector's stored
// bundles). args are added to every line (what was loaded).
func LogDistrusted(log *slog.Logger, k *Keyring, args ...any) {
	for _, err := range k.Distrusted() {
		log.Error(DistrustedMsg, append([]any{"err", err,
			"hint", "ask the issuer for this key again; the other keys of the keyring verify as before"}, args...)...)
	}
}
