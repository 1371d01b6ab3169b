package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/viper"
)

// relativeWarnings says, for each file or folder key (tag path:"file")
// that the config file sets to a relative path, that the path is read
// from the working folder cwd and not from the config file's folder —
// when the two differ: a service starts in / (systemd) or
// C:\Windows\System32, where keyring: keyring.yaml is not the keyring
// beside the config, and db: markd.db would be a new, empty store.
// Values that are URLs or connection strings (markhub's PostgreSQL db)
// are not paths; a value from a flag or the environment is the working
// folder's by nature.
func relativeWarnings(v *viper.Viper, s *schema, from origins, prefix, cwd string) []string {
	abs, err := filepath.Abs(from.file)
	if err != nil {
		return nil
	}
	dir := filepath.Dir(abs)
	if filepath.Clean(cwd) == dir {
		return nil
	}
	var out []string
	keys := make([]string, 0, len(s.keys))
	for k := range s.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sub, key := s.keys[k], prefix+k
		if sub.leaf == nil && sub.elems == nil {
			out = append(out, relativeWarnings(v, sub, from, key+".", cwd)...)
			continue
		}
		if !sub.path {
			continue
		}
		line, inFile := from.pos[key]
		val := v.GetString(key)
		if !inFile || from.of(key) != fmt.Sprintf("%s:%d", from.file, line) || !relativePath(val) {
			continue
		}
		out = append(out, fmt.Sprintf("%s = %s (%s) is a relative path, read from the working folder: %s, not %s beside the config; write the absolute path",
			key, val, from.of(key), filepath.Join(cwd, val), filepath.Join(dir, val)))
	}
	return out
}

// relativePath reports whether val is a path relative to the working
// folder: not empty, not absolute, not rooted (\x on Windows is the
// working drive's root), not a Windows drive path on any system (the
// Windows example read elsewhere is refused for its paths, not warned
// of), not a URL or a key=value connection string.
func relativePath(val string) bool {
	switch {
	case val == "", filepath.IsAbs(val), strings.HasPrefix(val, "/"), strings.HasPrefix(val, `\`),
		filepath.VolumeName(val) != "", strings.Contains(val, "://"), strings.Contains(val, "="):
		return false
	case len(val) >= 2 && val[1] == ':' && ('a' <= val[0]|0x20 && val[0]|0x20 <= 'z'):
		return false
	}
	return true
}
