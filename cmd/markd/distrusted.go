package main

import (
	"fmt"

	"markd/verify"
)

// reportDistrusted writes on stderr, one line a key, each issuer key of
// v's keyring that is distrusted (a weak Ed25519 key: spec-audit.md item
// 10): the verdicts go on as usual, every mark under it REJECT
// BAD_SIGNATURE.
func (a *app) reportDistrusted(v *verify.Verifier) {
	for _, err := range v.Keyring().Distrusted() {
		fmt.Fprintf(a.stderr, "error: %v: every mark under it is REJECT BAD_SIGNATURE\n", err)
	}
}
