package main

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(context.Background(), args, strings.NewReader(""), &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			s := out.String()
			for _, want := range []string{"markd ", "commit ", "built ", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH} {
				if !strings.Contains(s, want) {
					t.Errorf("output %q lacks %q", s, want)
				}
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version", "extra"}, strings.NewReader(""), &out, &errOut); code != exitUsage {
		t.Fatalf("version extra: exit %d, want %d (%s)", code, exitUsage, errOut.String())
	}
}
