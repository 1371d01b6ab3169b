package sync

import (
	"context"
	"errors"
	gosync "sync"

	"markd/hub"
	"markd/store"
)

// inflight is how many upload requests the pump keeps going at once: the
// counter reads and encodes the next batch while the collector stores the
// previous ones, so a backlog drains at the speed of the slower side, not
// of both added up.
const inflight = 2

// pump uploads full batches of records while a full batch is pending,
// reading ahead of the requests in flight. It stops at the first error
// (after the requests in flight end) or when less than a full batch is
// left; Once handles the rest (ages, events, acknowledgements). Records are
// marked uploaded only after their own 2xx, in whatever order the answers
// come; the collector ignores repeats, so a request cancelled after the
// collector committed costs nothing but a repeat.
func (u *Uploader) pump(ctx context.Context) (int, error) {
	batch := u.batch
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type prepared struct {
		ids     []string
		body    []byte
		waiting int // records left in the outbox after this batch, -1 = unknown
		acks    []int64
	}
	// One count for the whole run: each batch reports it less what the
	// batches before it and itself took.
	waiting := u.waiting(ctx, batch)
	if waiting >= 0 {
		waiting += batch
	}
	ch := make(chan prepared, 1)
	var readErr error
	go func() {
		defer close(ch)
		after := ""
		for {
			recs, err := u.db.PendingUploadsAfter(ctx, after, batch)
			if err != nil {
				readErr = err
				return
			}
			if len(recs) < batch {
				return
			}
			// The alerts stored so far are acknowledged as the backlog goes:
			// else every answer carries the same first ones again.
			acks, err := u.db.UnackedAlerts(ctx)
			if err != nil {
				readErr = err
				return
			}
			if acks == nil {
				acks = []int64{}
			}
			q := hub.UploadRequest{Records: make([]hub.Record, len(recs)), Events: []hub.Event{}, AckAlerts: acks}
			ids := make([]string, len(recs))
			for i, r := range recs {
				q.Records[i], ids[i] = hub.FromRecord(r), r.ID
			}
			body, err := hub.MarshalUpload(&q)
			if err != nil || len(body) > hub.MaxBody {
				return // Once sends it, halving the batch if needed
			}
			after = ids[len(ids)-1]
			left := -1
			if waiting >= 0 {
				waiting = max(0, waiting-len(ids))
				left = waiting
			}
			select {
			case ch <- prepared{ids, body, left, acks}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var (
		mu       gosync.Mutex
		wg       gosync.WaitGroup
		sent     int
		firstErr error
	)
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range ch {
				if ctx.Err() != nil {
					continue
				}
				resp, err := u.client.Upload(ctx, p.body, p.waiting)
				if err == nil {
					err = confirmed(resp, len(p.ids))
				}
				if err == nil {
					err = u.db.CompleteUpload(ctx, store.UploadDone{RecordIDs: p.ids, Acked: p.acks, Alerts: resp.Alerts, At: u.now()})
				}
				mu.Lock()
				if werr := u.wrongOffice(ctx, err, p.ids); werr != nil {
					err = werr
				} else if _, held := u.ahead(ctx, err, p.ids); held != nil {
					// Once goes on from the outbox's head: it sends the
					// records before the first one held and names that one.
					err = errRetryPump
				} else if isTooLarge(err) && batch > 1 {
					if u.batch == batch { // once for the requests in flight
						u.halve(err)
					}
					err = errRetryPump // Once goes on with the smaller batch
				} else if err != nil && u.refused(ctx, err, p.ids, nil) {
					err = errRetryPump // the rest of this batch goes with the next round
				}
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					cancel()
				} else {
					sent += len(p.ids)
					u.recordSuccess(len(p.ids), resp)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && readErr != nil && ctx.Err() == nil {
		firstErr = readErr
	}
	if errors.Is(firstErr, errRetryPump) {
		firstErr = nil
	}
	return sent, firstErr
}

// errRetryPump stops a pump after a refused record was set aside; the
// caller goes on at once.
var errRetryPump = errors.New("record set aside; go on")
