package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"markd/mark"
)

// FuzzLoadConfig feeds arbitrary markhub.yaml files to loadConfig (the
// whole chain: YAML, keys, values, office zone tables, Validate): a file
// loads or is refused with mark.ErrInvalid, never a panic or another
// kind of error.
func FuzzLoadConfig(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "configs", "markhub.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(example), "listen: 127.0.0.1:9000\n", "listen: [\n", "db_driver: oracle\n",
		"office_zone: Europe/Moscow\noffice_zones:\n  - zone: Asia/Yekaterinburg\n    offices: [\"62\"]\n",
		"office_zones:\n  - zone: Local\n    offices: [\"062\"]\n", "session_ttl: 9h\nsession_lifetime: 4h\n",
		"log:\n  level: loud\n", "lisen: x\n", "listen: a\nlisten: b\n", "\t listen: x\n", "plausibility: 5\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		file := filepath.Join(t.TempDir(), "markhub.yaml")
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := (&app{configFile: file}).loadConfig(nil); err != nil && !errors.Is(err, mark.ErrInvalid) {
			t.Fatalf("%q: error %v (%T) is not mark.ErrInvalid", body, err, err)
		}
	})
}
