package main

import (
	"path/filepath"
	"testing"
	"time"

	"markd/config"
	"markd/daemon"
)

// TestExampleConfig loads configs/markd.yaml, the commented example.
func TestExampleConfig(t *testing.T) {
	c, err := config.Load(filepath.Join("..", "..", "configs", "markd.yaml"), nil)
	if err != nil {
		t.Fatalf("configs/markd.yaml: %v", err)
	}
	if c.Office != 426000 || c.RescanWindow != 10*time.Minute || c.HTTP.Listen != "127.0.0.1:8080" ||
		len(c.Sources) != 1 || c.Sources[0].Kind != "stdin" || c.DB != "/var/lib/markd/markd.db" {
		t.Errorf("unexpected example config: %+v", c)
	}
	if _, err := daemon.CheckListen(c.HTTP); err != nil {
		t.Errorf("example http.listen: %v", err)
	}
	t.Setenv("MARKD_HTTP_LISTEN", "127.0.0.1:9999")
	t.Setenv("MARKD_RESCAN_WINDOW", "5m")
	c, err = config.Load(filepath.Join("..", "..", "configs", "markd.yaml"), nil)
	if err != nil || c.HTTP.Listen != "127.0.0.1:9999" || c.RescanWindow != 5*time.Minute {
		t.Errorf("env over the example: %+v %v", c.HTTP, err)
	}
}
