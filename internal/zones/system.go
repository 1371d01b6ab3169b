package zones

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
)

// unixDirs are where Go's time package looks for zone files on Unix, in
// its order.
var unixDirs = []string{"/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/", "/etc/zoneinfo/"}

// system is the machine's zone data: found once for each value of
// ZONEINFO (one a process, but for tests), so its zones are parsed once.
func system() *Data {
	zoneinfo := os.Getenv("ZONEINFO")
	systems.mu.Lock()
	defer systems.mu.Unlock()
	if d, ok := systems.m[zoneinfo]; ok {
		return d
	}
	dirs := unixDirs
	if runtime.GOOS == "windows" {
		dirs = nil
	}
	d := systemFrom(zoneinfo, dirs)
	systems.m[zoneinfo] = d
	return d
}

var systems = struct {
	mu sync.Mutex
	m  map[string]*Data
}{m: map[string]*Data{}}

// systemFrom finds the system's zone data: zoneinfo (the ZONEINFO
// environment variable: a folder or a zip such as Go's zoneinfo.zip),
// else the first of dirs that exists. None: a set whose every zone
// fails with ErrNoData.
func systemFrom(zoneinfo string, dirs []string) *Data {
	if zoneinfo != "" {
		st, err := os.Stat(zoneinfo)
		switch {
		case err != nil:
			return noData(fmt.Sprintf("ZONEINFO=%s: %v", zoneinfo, err))
		case st.IsDir():
			return dirData(zoneinfo, "ZONEINFO="+zoneinfo)
		}
		b, err := os.ReadFile(zoneinfo)
		if err != nil {
			return noData(fmt.Sprintf("ZONEINFO=%s: %v", zoneinfo, err))
		}
		d, err := FromZip(System, b, "unknown", "ZONEINFO="+zoneinfo)
		if err != nil {
			return noData(err.Error())
		}
		return d
	}
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dirData(dir, dir)
		}
	}
	if runtime.GOOS == "windows" {
		return noData("Windows has no zone files: set ZONEINFO to a zoneinfo.zip or folder, or use zone_data: embedded")
	}
	return noData("none of " + strings.Join(dirs, ", ") + " exists (install the tzdata package, or use zone_data: embedded)")
}

// dirData is the system data of a zoneinfo folder, its release read
// from the folder.
func dirData(dir, where string) *Data {
	fsys := os.DirFS(dir)
	return FromFS(System, fsys, dirVersion(fsys), where)
}

// dirVersion reads the tz release a zoneinfo folder names: the first
// line of tzdata.zi ("# version 2025b", Debian, Ubuntu, Fedora), else
// +VERSION (Alpine, Arch); "unknown" when neither does.
func dirVersion(fsys fs.FS) string {
	if f, err := fsys.Open("tzdata.zi"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		if sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "# version "); ok && plainVersion(v) {
				return v
			}
		}
	}
	if b, err := fs.ReadFile(fsys, "+VERSION"); err == nil && len(b) < 64 {
		if v := string(bytes.TrimSpace(b)); plainVersion(v) {
			return v
		}
	}
	return "unknown"
}

// plainVersion reports whether v reads as a tz release: short, letters,
// digits and dots only.
func plainVersion(v string) bool {
	if v == "" || len(v) > 16 {
		return false
	}
	for _, r := range v {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r == '.') {
			return false
		}
	}
	return true
}

// noData is a system set that has no zone files: every Load fails with
// ErrNoData saying why.
func noData(why string) *Data {
	return newData(System, "unknown", why, func(string) ([]byte, error) {
		return nil, fmt.Errorf("%w: %s", ErrNoData, why)
	})
}
