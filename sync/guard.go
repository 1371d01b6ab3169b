package sync

import "markd/mark"

// Guard wraps a verifier so that, while the lists are past the hard
// freshness limit, a mark that would be accepted gets verdict ERROR (the
// operator is told not to accept the item) instead. Rejections and
// not-a-mark pass unchanged: refusing them needs no fresh lists. The
// pipeline stores ERROR like any other verdict; the serial does not count
// as used, so the same mark is accepted once the counter has synced.
func Guard(v mark.Verifier, f *Freshness) mark.Verifier { return guard{v, f} }

type guard struct {
	mark.Verifier
	f *Freshness
}

func (g guard) Verify(text string, c mark.Context) mark.Result {
	r := g.Verifier.Verify(text, c)
	if r.Verdict == mark.Accept {
		if _, hard := g.f.Stale(); hard {
			r.Verdict, r.Message = mark.Error, HardMessage
		}
	}
	return r
}
