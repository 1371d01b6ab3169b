package testdata

import (
	"fmt"
	"strings"
	"time"
)

// DocDefault writes a config default the way the key tables of
// docs/operations.md do (markd's and markhub's): durations short (10m,
// 8784h, 0), an empty string "", an empty list [], the rest as fmt
// prints it.
func DocDefault(v any) string {
	switch v := v.(type) {
	case time.Duration:
		if v == 0 {
			return "0"
		}
		s := v.String()
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	case string:
		if v == "" {
			return `""`
		}
		return v
	case []string:
		if len(v) == 0 {
			return "[]"
		}
	}
	return fmt.Sprint(v)
}
