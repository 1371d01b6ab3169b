//go:build unix

package scanner

import (
	"bytes"
	"context"
	"os"
	"sort"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
)

// BenchmarkSerialLineLatency: time from the last byte of a mark written
// into the scanner's end of a socat pty pair to the scan reaching emit
// (pty + socat relay + tarm/serial read + framing). Reports p50/p99 in ms.
func BenchmarkSerialLineLatency(b *testing.B) {
	p := newPtyPair(b)
	src := NewSerial("bench", SerialConfig{Port: p.Dev, Baud: 115200}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan time.Time, 1)
	go src.Serve(ctx, func(mark.Scan) { got <- time.Now() })
	waitFor(b, "port open", func() bool { return src.Health().Up })
	line := []byte(epm + "\r")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sent := time.Now()
		if _, err := p.peer.Write(line); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-got:
			lat = append(lat, at.Sub(sent))
		case <-time.After(waitLimit):
			b.Fatal("line never arrived")
		}
	}
	b.StopTimer()
	reportQuantiles(b, lat)
}

// BenchmarkSerialLineToVerdict: as above, plus verifying the scan against
// the shared keyring and tariffs (the first ACCEPT test vector): the time
// from the scanner's last byte to the counter knowing the verdict.
func BenchmarkSerialLineToVerdict(b *testing.B) {
	v := testdata.Verifier(b)
	text, ctxv := firstAcceptVector(b)
	p := newPtyPair(b)
	src := NewSerial("bench", SerialConfig{Port: p.Dev, Baud: 115200}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan mark.Verdict, 1)
	go src.Serve(ctx, func(s mark.Scan) { got <- v.Verify(s.Text, ctxv).Verdict })
	waitFor(b, "port open", func() bool { return src.Health().Up })
	line := []byte(text + "\r")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sent := time.Now()
		if _, err := p.peer.Write(line); err != nil {
			b.Fatal(err)
		}
		select {
		case verdict := <-got:
			lat = append(lat, time.Since(sent))
			if verdict != mark.Accept {
				b.Fatalf("verdict %s, want ACCEPT", verdict)
			}
		case <-time.After(waitLimit):
			b.Fatal("line never arrived")
		}
	}
	b.StopTimer()
	reportQuantiles(b, lat)
}

func firstAcceptVector(b *testing.B) (string, mark.Context) {
	for _, vec := range testdata.Vectors(b) {
		if vec.Verdict != mark.Accept {
			continue
		}
		day, err := mark.ParseDay(vec.Context.Date)
		if err != nil {
			b.Fatal(err)
		}
		return vec.Text, mark.Context{Office: vec.Context.Office, Date: day}
	}
	b.Fatal("no ACCEPT vector in vectors.jsonl")
	return "", mark.Context{}
}

func reportQuantiles(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// BenchmarkFramer: framing throughput on a stream of marks split into
// 64-byte reads.
func BenchmarkFramer(b *testing.B) {
	stream := []byte{}
	for i := 0; i < 100; i++ {
		stream = append(stream, "]Q1"+epm+"\r\n"...)
	}
	now := time.Unix(0, 0)
	b.SetBytes(int64(len(stream)))
	for i := 0; i < b.N; i++ {
		f := NewFramer(nil, 0, 0)
		n := 0
		for j := 0; j < len(stream); j += 64 {
			f.Feed(stream[j:min(j+64, len(stream))], now, func(Frame) { n++ })
		}
		if n != 100 {
			b.Fatalf("%d lines", n)
		}
	}
}

// BenchmarkSerialReplug: time from the device coming back (socat
// restarted on the same link) to its first line being read, with the
// replug at a random phase of the reconnect backoff (the source has been
// retrying for 0-2 s). The goal is under 2 s; reports p50 and max.
func BenchmarkSerialReplug(b *testing.B) {
	p := newPtyPair(b)
	src := NewSerial("bench", SerialConfig{Port: p.Dev}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan struct{}, 16)
	go src.Serve(ctx, func(mark.Scan) { got <- struct{}{} })
	waitFor(b, "port open", func() bool { return src.Health().Up })
	lat := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		p.kill(os.Kill)
		waitFor(b, "unplug noticed", func() bool { return !src.Health().Up })
		time.Sleep(time.Duration(i*7919%2000) * time.Millisecond)
		back := time.Now()
		p.start()
		p.write("BACK\r")
		select {
		case <-got:
			lat = append(lat, time.Since(back))
		case <-time.After(waitLimit):
			b.Fatal("line after replug never arrived")
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max-ms")
}

// BenchmarkFramerLongLine: a 1 MiB line (a scanner reading noise, a
// wrong baud rate) then a mark, in 4 KiB reads: the bytes after the cut
// are only counted.
func BenchmarkFramerLongLine(b *testing.B) {
	stream := append(bytes.Repeat([]byte("0123456789abcdef"), 1<<16), "\r\n"+epm+"\r\n"...)
	now := time.Unix(0, 0)
	b.SetBytes(int64(len(stream)))
	for i := 0; i < b.N; i++ {
		f := NewFramer(nil, 0, 0)
		n := 0
		for j := 0; j < len(stream); j += 4096 {
			f.Feed(stream[j:min(j+4096, len(stream))], now, func(Frame) { n++ })
		}
		if n != 2 {
			b.Fatalf("%d lines", n)
		}
	}
}
