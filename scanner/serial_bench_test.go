package scanner

import (
	"context"
	"sort"
	"testing"
	"time"

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
