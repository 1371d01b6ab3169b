package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"markd/mark"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestRestart: a service that fails (error or panic) is started again after
// a doubling wait; one that returns nil is not.
func TestRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs atomic.Int32
		var starts []time.Duration
		t0 := time.Now()
		sup := New(Options{Log: quiet, MinBackoff: time.Second, MaxBackoff: 4 * time.Second})
		sup.Add("flaky", Func(func(ctx context.Context) error {
			starts = append(starts, time.Since(t0))
			switch runs.Add(1) {
			case 1:
				return errors.New("device gone")
			case 2:
				panic("bug")
			case 3, 4:
				return errors.New("again")
			}
			<-ctx.Done()
			return nil
		}))
		var doneRuns atomic.Int32
		sup.Add("done", Func(func(context.Context) error { doneRuns.Add(1); return nil }))
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error)
		go func() { errc <- sup.Serve(ctx) }()
		time.Sleep(time.Minute)
		synctest.Wait()
		if runs.Load() != 5 || doneRuns.Load() != 1 {
			t.Fatalf("flaky ran %d times (want 5), done ran %d (want 1)", runs.Load(), doneRuns.Load())
		}
		want := []time.Duration{0, time.Second, 3 * time.Second, 7 * time.Second, 11 * time.Second}
		if fmt.Sprint(starts) != fmt.Sprint(want) {
			t.Errorf("starts at %v, want %v", starts, want)
		}
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
	})
}

// TestFatal: a configuration error stops every service and is returned.
func TestFatal(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"invalid", fmt.Errorf("config sources[0]: %w", mark.ErrInvalid)},
		{"marked", Fatal(errors.New("port taken for good"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				stopped := make(chan struct{})
				sup := New(Options{Log: quiet})
				sup.Add("other", Func(func(ctx context.Context) error { <-ctx.Done(); close(stopped); return nil }))
				sup.Add("bad", Func(func(context.Context) error { time.Sleep(time.Second); return tc.err }))
				err := sup.Serve(t.Context())
				if !errors.Is(err, tc.err) || !IsFatal(err) {
					t.Errorf("Serve = %v, want %v", err, tc.err)
				}
				select {
				case <-stopped:
				default:
					t.Error("the other service was not stopped")
				}
			})
		})
	}
}

// TestGrace: a service that ignores its context does not hold the
// supervisor beyond Grace.
func TestGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		sup := New(Options{Log: quiet, Grace: 2 * time.Second})
		sup.Add("stuck", Func(func(context.Context) error { <-release; return nil }))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		if err := sup.Serve(ctx); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("Serve returned after %v, want 3s (1s run + 2s grace)", d)
		}
		close(release)
	})
}

// TestHealthyResetsBackoff: after a long healthy run the wait starts small again.
func TestHealthyResetsBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var starts []time.Duration
		t0 := time.Now()
		sup := New(Options{Log: quiet, MinBackoff: time.Second, MaxBackoff: time.Minute, Healthy: 10 * time.Second})
		runs := 0
		sup.Add("s", Func(func(ctx context.Context) error {
			starts = append(starts, time.Since(t0))
			runs++
			switch runs {
			case 1, 2:
				return errors.New("quick failure")
			case 3:
				time.Sleep(20 * time.Second)
				return errors.New("after a healthy run")
			}
			<-ctx.Done()
			return nil
		}))
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if err := sup.Serve(ctx); err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{0, time.Second, 3 * time.Second, 24 * time.Second}
		if fmt.Sprint(starts) != fmt.Sprint(want) {
			t.Errorf("starts at %v, want %v", starts, want)
		}
	})
}
