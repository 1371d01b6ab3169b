package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// manifestEntry is one frame of manifest.json: the file and the text the
// decoder must read from it, as in qrdecode's other QR sets.
type manifestEntry struct {
	File string `json:"file"`
	Text string `json:"text"`
}

func entries(ps []*Params) []manifestEntry {
	out := make([]manifestEntry, 0, len(ps))
	for _, p := range ps {
		out = append(out, manifestEntry{File: p.File, Text: p.Text})
	}
	return out
}

// writeIndex writes dir/manifest.json (the entries of prior, then of ps)
// and dir/paramsName (the parameters of ps). All three subcommands write
// through it, so a set is read the same whichever made it.
func writeIndex(dir string, prior []manifestEntry, ps []*Params, paramsName string) error {
	man, err := encodeManifest(append(prior[:len(prior):len(prior)], entries(ps)...))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), man, 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	b, err := json.MarshalIndent(ps, "", " ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", paramsName, err)
	}
	if err := os.WriteFile(filepath.Join(dir, paramsName), b, 0o644); err != nil {
		return fmt.Errorf("write params: %w", err)
	}
	return nil
}

// encodeManifest writes one entry a line, the layout of the committed
// QR sets' manifests, so that entries can be moved between them by line.
func encodeManifest(man []manifestEntry) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("[\n")
	for i, e := range man {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode manifest entry %s: %w", e.File, err)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	buf.WriteString("]\n")
	return buf.Bytes(), nil
}

// readManifest reads path; a missing file is an empty manifest.
func readManifest(path string) ([]manifestEntry, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var man []manifestEntry
	if err := json.Unmarshal(b, &man); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return man, nil
}

// readParams reads a params.json written by writeIndex. A file listed
// twice is an error: a frame is named by its file.
func readParams(path string) ([]*Params, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read params: %w", err)
	}
	var ps []*Params
	if err := json.Unmarshal(b, &ps); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	seen := make(map[string]bool, len(ps))
	for i, p := range ps {
		if p == nil || p.File == "" {
			return nil, fmt.Errorf("%s: entry %d has no file", path, i)
		}
		if filepath.Base(p.File) != p.File {
			return nil, fmt.Errorf("%s: file %q is not a plain name", path, p.File)
		}
		if p.W < 2 || p.H < 2 {
			return nil, fmt.Errorf("%s: %s: frame %d×%d too small", path, p.File, p.W, p.H)
		}
		if seen[p.File] {
			return nil, fmt.Errorf("%s: %s listed twice", path, p.File)
		}
		seen[p.File] = true
	}
	return ps, nil
}

// findFrame returns the parameters of file in the params file at path.
func findFrame(path, file string) (*Params, error) {
	ps, err := readParams(path)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.File == file {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%s: no frame %s", path, file)
}
