package pipeline

import (
	"context"
	"runtime"
	"sync"

	"markd/mark"
)

// RecheckSignatures closes the crash window of the signature check under
// the commit (see submit): a crash after a scan's commit was durable and
// before a refused check made it invalid leaves that scan stored as if its
// signature held. Run before any scan of this process, it checks again
// the signatures of the scans stored above the store's check watermark
// (store.DB.UncheckedScans: normally fewer than 64; on every core when
// there are many, as after an import while the daemon was stopped), turns
// those that do not hold into REJECT BAD_SIGNATURE with their serial
// released and an audit line, and moves the watermark to the top. A scan
// whose signature cannot be checked now (its key gone from the keyring)
// is logged and left as stored. It returns how many signatures it checked
// and how many scans it corrected.
func (p *Pipeline) RecheckSignatures(ctx context.Context) (checked, corrected int, err error) {
	rows, top, err := p.opt.Store.UncheckedScans(ctx)
	if err != nil {
		return 0, 0, err
	}
	checks := make([]func() bool, len(rows))
	for i, u := range rows {
		p.opt.Verifier.Verify(u.Text, mark.Context{Office: p.opt.Office, DeferSignature: &checks[i]})
		if checks[i] == nil {
			p.log.Warn("a scan stored before a crash could not have its signature checked again; left as stored", "record", u.ID)
			continue
		}
		checked++
	}
	bad := make([]bool, len(rows))
	workers := 1
	if len(rows) >= recheckParallel {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(rows); i += workers {
				bad[i] = checks[i] != nil && !checks[i]()
			}
		})
	}
	wg.Wait()
	for i, u := range rows {
		if !bad[i] {
			continue
		}
		if err := p.opt.Store.CorrectBadSignature(ctx, u.ID); err != nil {
			return checked, corrected, err
		}
		corrected++
		p.log.Warn("a scan stored before a crash had a bad signature: corrected to REJECT BAD_SIGNATURE", "record", u.ID)
	}
	return checked, corrected, p.opt.Store.SetCheckWatermark(ctx, top)
}

// recheckParallel is from how many scans RecheckSignatures checks on
// every core.
const recheckParallel = 256
