package verify

import (
	"sync"

	"markd/decode"
	"markd/mark"
)

// Batch verification (docs/notes/perf.md): n Ed25519 signatures are
// checked with one multi-scalar multiplication, several times cheaper a
// signature than one by one; the terms of one key are merged into one
// (keybatch.go), so a batch under one issuer key costs ~0.6 of voi's. The batch says only "all valid" or "not
// all": a failed batch is split in halves and checked again, and what
// remains doubtful is checked one by one with key.verify, so a batch with
// one forged signature names exactly that one.
//
// The batch equation is the cofactored one ([8][S]B = [8]R + [8][k]A,
// RFC 8032 §5.1.7), crypto/ed25519 checks the cofactorless [S]B = R + [k]A.
// They can differ only when R or A has a small-order component. Keys of
// small order, with a small-order component or not canonically encoded
// are distrusted (edpoint.Check, ErrWeakKey: no signature verifies under
// them) and never enter a batch (Key.batch); R is hashed into k, so adding a
// small-order point to the R of a real signature breaks it for both
// equations (TestBatchTorsionBoundary). What remains is a signature whose R
// the holder of the issuer's private key made with a small-order
// component on purpose: only the issuer can sign that, and the issuer
// can sign anything.

// sigCheck is one signature to check: the key the mark names, body and
// signature, and the decoded mark for the checks after it.
type sigCheck struct {
	key  *Key
	body [mark.BodySize]byte
	sig  [mark.SigSize]byte
	mark mark.Mark
}

// minBatch is the smallest set worth a batch: below it a failed batch is
// checked one by one.
const minBatch = 16

// checkSignatures sets ok[i] to whether cs[i]'s signature verifies, with
// the result key.verify gives.
func checkSignatures(cs []sigCheck, ok []bool) {
	idx := make([]int, 0, len(cs))
	for i := range cs {
		if cs[i].key.batch() {
			idx = append(idx, i)
		} else {
			ok[i] = cs[i].key.verify(cs[i].body, cs[i].sig)
		}
	}
	checkBatch(cs, idx, ok)
}

// checkBatch checks cs[idx] as one batch, and when it fails, finds the
// bad ones (checkSplit).
func checkBatch(cs []sigCheck, idx []int, ok []bool) {
	if len(idx) < minBatch {
		checkEach(cs, idx, ok)
		return
	}
	if batchValid(cs, idx) {
		for _, i := range idx {
			ok[i] = true
		}
		return
	}
	checkSplit(cs, idx, ok)
}

// checkSplit finds the bad signatures of a failed batch: each half is
// checked as a batch; a half that fails alone is split again; when both
// fail, bad signatures are many and splitting further would cost more
// than checking one by one.
func checkSplit(cs []sigCheck, idx []int, ok []bool) {
	if len(idx) < 2*minBatch {
		checkEach(cs, idx, ok)
		return
	}
	half := len(idx) / 2
	lo, hi := idx[:half], idx[half:]
	loOK, hiOK := batchValid(cs, lo), batchValid(cs, hi)
	switch {
	case loOK && hiOK: // cannot be (a valid set always passes): trust neither
		checkEach(cs, idx, ok)
	case !loOK && !hiOK:
		checkEach(cs, idx, ok)
	case loOK:
		for _, i := range lo {
			ok[i] = true
		}
		checkSplit(cs, hi, ok)
	default:
		for _, i := range hi {
			ok[i] = true
		}
		checkSplit(cs, lo, ok)
	}
}

// checkEach checks cs[idx] one by one.
func checkEach(cs []sigCheck, idx []int, ok []bool) {
	for _, i := range idx {
		ok[i] = cs[i].key.verify(cs[i].body, cs[i].sig)
	}
}

// VerifyBatch is Verify for many texts at once, each with its context:
// the results are Verify's, in order; the Ed25519 signatures are checked
// in one batch.
func (v *Verifier) VerifyBatch(texts []string, cs []mark.Context) []mark.Result {
	out := make([]mark.Result, len(texts))
	sb := scratches.Get().(*scratch)
	checks, at := sb.checks[:0], sb.at[:0]
	for i, t := range texts {
		res, sc, done := v.decode(t)
		if done {
			out[i] = res
			continue
		}
		checks = append(checks, sc)
		at = append(at, i)
	}
	ok := append(sb.ok[:0], make([]bool, len(checks))...)
	checkSignatures(checks, ok)
	for j, i := range at {
		out[i] = v.judge(&checks[j], ok[j], cs[i])
	}
	clear(checks) // the pool holds no key
	sb.checks, sb.at, sb.ok = checks[:0], at[:0], ok[:0]
	scratches.Put(sb)
	return out
}

// scratch holds VerifyBatch's buffers for the next call: ~230 KiB for
// 1000 texts, fresh memory for each cost page faults and garbage
// collection in markd import (docs/notes/perf.md).
type scratch struct {
	checks []sigCheck
	at     []int
	ok     []bool
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// SignatureBatch checks the signatures of many texts at once, for a
// caller that holds several keyrings (the collector: every keyring it
// published). Add what to check, then Check once.
type SignatureBatch struct {
	checks []sigCheck
}

// Add decodes text and queues its signature for the key the mark names
// in the first of rings that has that key with the mark's algorithm —
// the key with which CheckSignature over rings, in order, would first
// verify it. ok is false when the text does not decode or no ring has
// such a key: the caller checks those one by one with CheckSignature.
func (b *SignatureBatch) Add(text string, rings []*Keyring) (i int, ok bool) {
	body, sig, err := decode.Text(text)
	if err != nil || body[0] != 1 {
		return 0, false
	}
	m, err := decode.Body(body[:])
	if err != nil {
		return 0, false
	}
	for _, kr := range rings {
		if key, found := kr.Key(m.KeyID); found && key.Alg == m.Alg {
			b.checks = append(b.checks, sigCheck{key: key, body: body, sig: sig, mark: m})
			return len(b.checks) - 1, true
		}
	}
	return 0, false
}

// Check reports for each text added whether its signature verified with
// the key Add chose. A text whose signature did not verify with it may
// still verify with the same key id in a later keyring: check it again
// with CheckSignature over every ring.
func (b *SignatureBatch) Check() []bool {
	ok := make([]bool, len(b.checks))
	checkSignatures(b.checks, ok)
	return ok
}

// Mark is the decoded mark of the i-th text added; it may be trusted only
// when Check reported it verified.
func (b *SignatureBatch) Mark(i int) mark.Mark { return b.checks[i].mark }
