package verify

import (
	"sync/atomic"

	"markd/mark"
)

// Holder is a mark.Verifier whose lists can be replaced while scans are
// being judged (SIGHUP reload, signed bundles from sync): each Verify uses
// one consistent Verifier, never a mix of old and new lists, and its
// result names that Verifier's lists (mark.Result.Versions).
type Holder struct {
	p      atomic.Pointer[Verifier]
	onSwap atomic.Pointer[func()] // OnSwap; never read by Verify
}

var _ mark.Verifier = (*Holder)(nil)

// NewHolder returns a holder of v.
func NewHolder(v *Verifier) *Holder {
	h := &Holder{}
	h.p.Store(v)
	return h
}

// Swap makes v the verifier in use.
func (h *Holder) Swap(v *Verifier) {
	h.p.Store(v)
	h.swapped()
}

// CompareAndSwap makes v the verifier in use if old still is, and says
// whether it did: a reload from files does not replace what another
// swapper (a signed bundle) put in meanwhile.
func (h *Holder) CompareAndSwap(old, v *Verifier) bool {
	if !h.p.CompareAndSwap(old, v) {
		return false
	}
	h.swapped()
	return true
}

// OnSwap has f called after every swap (Swap, a CompareAndSwap that
// swapped), on the swapping goroutine: whatever follows the lists in
// force (the daemon's clock bound) reads Current there. Two swaps may
// run f concurrently, in any order, so f reads Current under a lock of
// its own rather than trusting which swap called it.
func (h *Holder) OnSwap(f func()) { h.onSwap.Store(&f) }

func (h *Holder) swapped() {
	if f := h.onSwap.Load(); f != nil {
		(*f)()
	}
}

// Current returns the verifier in use (nil if none was set).
func (h *Holder) Current() *Verifier { return h.p.Load() }

// Verify judges text with the current verifier; with none it gives
// verdict ERROR, so the item is not accepted.
func (h *Holder) Verify(text string, c mark.Context) mark.Result {
	v := h.p.Load()
	if v == nil {
		return mark.Result{Verdict: mark.Error, Reasons: []mark.Reason{}}
	}
	res := v.Verify(text, c)
	res.Versions = v.Versions()
	return res
}

// Versions names the lists of the current verifier.
func (h *Holder) Versions() mark.Versions {
	v := h.p.Load()
	if v == nil {
		return mark.Versions{}
	}
	return v.Versions()
}

// VerifyBatch is Verify for many texts, all with the current verifier
// (Verifier.VerifyBatch).
func (h *Holder) VerifyBatch(texts []string, cs []mark.Context) []mark.Result {
	v := h.p.Load()
	if v == nil {
		out := make([]mark.Result, len(texts))
		for i := range out {
			out[i] = mark.Result{Verdict: mark.Error, Reasons: []mark.Reason{}}
		}
		return out
	}
	out := v.VerifyBatch(texts, cs)
	vs := v.Versions()
	for i := range out {
		out[i].Versions = vs
	}
	return out
}
