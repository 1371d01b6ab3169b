package hub

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"markd/bundle"
	"markd/mark"
	"markd/verify"
)

// Checker verifies what terminals say they accepted: the mark of every
// uploaded record is checked from its text against the keyrings the
// collector has published (all of them, newest first: a counter may still
// judge under an older bundle), so a terminal cannot claim a serial with a
// made-up text or with fields its text does not carry. Checks run in
// parallel on all cores, the Ed25519 signatures of each core's share in
// one batch (verify.SignatureBatch, docs/notes/perf.md).
type Checker struct {
	store Store

	mu      sync.Mutex
	version uint64            // newest bundle read
	seen    map[[32]byte]bool // keyring files already held
	rings   []*verify.Keyring // newest first
	skipped error             // why the last unreadable bundle was skipped
	// distrusted: the keys of the keyrings read under which no signature
	// verifies (a weak Ed25519 key, spec-audit.md item 10), each naming
	// its bundle; logged on log (when set) as each keyring is read.
	distrusted []error
	log        *slog.Logger

	// The lists of each published bundle, for Judge: newest first, and
	// by the versions they name.
	judging    []*verify.Verifier
	byVersions map[mark.Versions]*verify.Verifier
	// unknown: versions a record named that no bundle read had, and when
	// the bundles were last read for them (Judge reads them again at
	// most once a minute for the same versions).
	unknown map[mark.Versions]time.Time
}

// NewChecker returns a checker over the bundles of store.
func NewChecker(store Store) *Checker {
	return &Checker{store: store, seen: map[[32]byte]bool{}, byVersions: map[mark.Versions]*verify.Verifier{},
		unknown: map[mark.Versions]time.Time{}}
}

// Keyrings returns how many distinct keyrings the checker holds, the
// newest bundle version it read, and why a stored bundle was skipped.
func (c *Checker) Keyrings() (n int, version uint64, skipped error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.rings), c.version, c.skipped
}

// Distrusted returns the keys of the keyrings held under which no
// signature verifies (a weak Ed25519 key: the keyring is trusted, that key
// is not), each naming its stored bundle, keys[i] (id N) and why.
func (c *Checker) Distrusted() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.distrusted)
}

// refresh reads the bundles published since the last call and reports
// whether a keyring was added.
func (c *Checker) refresh(ctx context.Context) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	bs, err := c.store.Bundles(ctx, c.version)
	if err != nil {
		return false, err
	}
	added := false
	for _, b := range bs {
		c.version = max(c.version, b.Version)
		if v, err := listsOf(b); err == nil {
			// Copies, not appends in place: Judge reads the old ones unlocked.
			c.judging = append([]*verify.Verifier{v}, c.judging...)
			byVersions := make(map[mark.Versions]*verify.Verifier, len(c.byVersions)+1)
			for k, w := range c.byVersions {
				byVersions[k] = w
			}
			if _, ok := byVersions[v.Versions()]; !ok {
				byVersions[v.Versions()] = v
			}
			c.byVersions = byVersions
		}
		kr, h, err := keyringOf(b)
		if err != nil {
			// Not one markhub signed (publish parses every list first):
			// its keys are not trusted; the others still are.
			c.skipped = err
			continue
		}
		if c.seen[h] {
			continue
		}
		c.seen[h] = true
		c.rings = append([]*verify.Keyring{kr}, c.rings...)
		for _, d := range kr.Distrusted() {
			d = fmt.Errorf("stored bundle %d: %w", b.Version, d)
			c.distrusted = append(c.distrusted, d)
			if c.log != nil {
				c.log.Error(verify.DistrustedMsg, "err", d, "bundle", b.Version)
			}
		}
		added = true
	}
	return added, nil
}

func keyringOf(b StoredBundle) (*verify.Keyring, [32]byte, error) {
	cont, err := bundle.Read(b.Data)
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("stored bundle %d: %w", b.Version, err)
	}
	kr, err := verify.ParseKeyring(cont.Keyring.Name, cont.Keyring.Data)
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("stored bundle %d: %w", b.Version, err)
	}
	return kr, sha256.Sum256(cont.Keyring.Data), nil
}

func (c *Checker) current() []*verify.Keyring {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rings
}

// Check sets Verification, Why and Digest of every record. Records whose
// key is not (yet) known are checked again after reading newly published
// bundles, so a bundle published a moment ago is already in force. Only a
// failing store is an error.
func (c *Checker) Check(ctx context.Context, recs []Record) error {
	rings := c.current()
	if rings == nil {
		if _, err := c.refresh(ctx); err != nil {
			return err
		}
		rings = c.current()
	}
	all := make([]int, len(recs))
	for i := range all {
		all[i] = i
	}
	retry := checkAll(recs, all, rings)
	if len(retry) == 0 {
		return nil
	}
	added, err := c.refresh(ctx)
	if err != nil || !added {
		return err
	}
	checkAll(recs, retry, c.current())
	return nil
}

// checkAll checks recs[idx] in parallel and returns the indexes whose key
// no keyring knows or whose signature none verified.
func checkAll(recs []Record, idx []int, rings []*verify.Keyring) []int {
	workers := runtime.GOMAXPROCS(0)
	if len(idx) < 64 || workers == 1 {
		return checkSome(recs, idx, rings)
	}
	var wg sync.WaitGroup
	retry := make([][]int, workers)
	chunk := (len(idx) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(idx))
		if lo >= hi {
			break
		}
		wg.Go(func() { retry[w] = checkSome(recs, idx[lo:hi], rings) })
	}
	wg.Wait()
	var out []int
	for _, r := range retry {
		out = append(out, r...)
	}
	return out
}

// checkSome checks recs[idx]: the signatures that can be checked in one
// Ed25519 batch are, the rest one by one (checkMark); a record whose
// signature the batch did not verify is checked one by one too, so the
// results are checkMark's, record by record.
func checkSome(recs []Record, idx []int, rings []*verify.Keyring) (retry []int) {
	var sb verify.SignatureBatch
	inBatch := make([]int, len(idx)) // position in sb, or -1
	for k, i := range idx {
		r := &recs[i]
		r.Digest = digest(r)
		inBatch[k] = -1
		if r.Mark != nil {
			if j, ok := sb.Add(r.Text, rings); ok {
				inBatch[k] = j
				continue
			}
		}
		r.Verification, r.Why = checkMark(r, rings)
	}
	verified := sb.Check()
	for k, i := range idx {
		r := &recs[i]
		switch j := inBatch[k]; {
		case j < 0:
		case verified[j]:
			r.Verification, r.Why = Verified, ""
			m := sb.Mark(j)
			if got := m.Fields(); got != *r.Mark {
				r.Verification, r.Why = Unverified, fieldsDiffer(got, *r.Mark)
			}
		default:
			r.Verification, r.Why = checkMark(r, rings)
		}
		if r.Verification == Unverified && r.Why == whyNoKey {
			retry = append(retry, i)
		}
	}
	return retry
}

const whyNoKey = "no published keyring has a key that verifies the text's signature"

// checkMark checks the record's text against the keyrings, newest first.
func checkMark(r *Record, rings []*verify.Keyring) (Verification, string) {
	if r.Mark == nil {
		return NoMark, ""
	}
	for _, kr := range rings {
		m, err := kr.CheckSignature(r.Text)
		if errors.Is(err, verify.ErrUnknownKey) || errors.Is(err, verify.ErrBadSignature) {
			continue
		}
		if err != nil {
			return Unverified, "text is not a valid mark: " + err.Error()
		}
		if got := m.Fields(); got != *r.Mark {
			return Unverified, fieldsDiffer(got, *r.Mark)
		}
		return Verified, ""
	}
	return Unverified, whyNoKey
}

// fieldsDiffer names the first field that differs between the text's mark
// and the uploaded one.
func fieldsDiffer(text, sent mark.Fields) string {
	a, _ := json.Marshal(text)
	b, _ := json.Marshal(sent)
	var ma, mb map[string]any
	_ = json.Unmarshal(a, &ma)
	_ = json.Unmarshal(b, &mb)
	for _, k := range []string{"serial", "key_id", "office", "contract", "tariff_kop", "mail_class", "weight_g",
		"issued", "valid_until", "tracking", "flags", "alg", "version"} {
		if fmt.Sprint(ma[k]) != fmt.Sprint(mb[k]) {
			return fmt.Sprintf("mark.%s is %v, but the text says %v", k, mb[k], ma[k])
		}
	}
	return "mark fields differ from the text's"
}

// SameRecordError is the error for records[i] whose id this terminal has
// already used for a different record.
func SameRecordError(i int, id string) error {
	return &FieldError{Field: fmt.Sprintf("records[%d].id", i), Err: mark.ErrConflict,
		Why: fmt.Sprintf("record %q was uploaded before with a different content; ids must not be reused", id)}
}

// SameEventError is the error for events[i] whose id this terminal has
// already used for another decision (another record, action, actor or
// note): a counter whose audit ids started again (a store restored from a
// backup, or a new one made by markd init) must not have its decisions
// dropped as repeats without a word.
func SameEventError(i int, id int64) error {
	return &FieldError{Field: fmt.Sprintf("events[%d].id", i), Err: mark.ErrConflict,
		Why: fmt.Sprintf("event %d was uploaded before for another decision; event ids must not be reused", id)}
}

// SameEvent reports whether a stored event is e sent again: the same
// record, action, actor and note (its time is stored at the backend's
// precision, so it is not compared).
func SameEvent(e *Event, recordID, action, actor, note string) bool {
	return e.RecordID == recordID && e.Action == action && e.Actor == actor && e.Note == note
}

// Seal completes a record for storing when no Checker ran over it: its
// digest, and for a mark nobody checked the state Unverified (fail closed).
// The backends call it on every record of Ingest.
func Seal(r *Record) {
	if r.Digest == "" {
		r.Digest = digest(r)
	}
	switch {
	case r.Mark == nil:
		r.Verification, r.Why = NoMark, ""
	case r.Verification == "" || r.Verification == NoMark:
		r.Verification, r.Why = Unverified, "not checked by the collector"
	}
}
