package hub

import (
	"bytes"
	"fmt"
)

// maxArray bounds every array of an upload: its lists (records, events,
// ack_alerts: 10 000; batches 1000 and reasons fewer, checked by
// Validate) and any array nested in them.
const maxArray = max(MaxRecords, MaxEvents, MaxAcks, MaxBatches)

// checkArrays refuses a body with an array of more than maxArray
// elements before anything is decoded. Decoded first and counted after
// (Validate), {"records":[{},{},…]} is 2.8 million records in 8 MiB, and
// the collector allocated 6 GiB over ~15 s of CPU before the 400 (red-team
// pass): a few such uploads at once took it down. One pass over the
// bytes, no allocation; the JSON's validity is encoding/json's business
// after it (a body it cannot walk is left to that).
func checkArrays(body []byte) error {
	// An upload's arrays are at depth 2 (the lists) and 4 (a record's
	// reasons); deeper ones are counted as well up to maxDepth, and past
	// it left to encoding/json's depth limit (no upload is that deep).
	const maxDepth = 16
	var commas [maxDepth + 1]int // commas seen in the array open at a depth
	var array [maxDepth + 1]bool // whether the value open at a depth is an array
	depth := 0
	var key1, key3 []byte // the last string at depths 1 and 3: the key of an array opened there
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '"':
			start := i + 1
			for { // to the closing quote: one not escaped by an odd run of backslashes
				j := bytes.IndexByte(body[i+1:], '"')
				if j < 0 {
					return nil // cut off: encoding/json says so
				}
				i += 1 + j
				k := i - 1
				for k >= start && body[k] == '\\' {
					k--
				}
				if (i-1-k)%2 == 0 {
					break
				}
			}
			switch depth {
			case 1:
				key1 = body[start:i]
			case 3:
				key3 = body[start:i]
			}
		case '[', '{':
			depth++
			if depth <= maxDepth {
				array[depth], commas[depth] = c == '[', 0
			}
		case ']', '}':
			if depth--; depth < 0 {
				return nil // past the value: the end of a list's rest, or not JSON (encoding/json says so)
			}
		case ',':
			if depth < 1 || depth > maxDepth || !array[depth] {
				continue
			}
			if commas[depth]++; commas[depth] < maxArray {
				continue
			}
			field := "body" // a key markhub does not know is not echoed
			switch list, inner := known(key1, uploadLists), known(key3, recordFields); {
			case depth == 2 && list != "":
				field = list
			case depth == 4 && list != "" && inner != "":
				field = fmt.Sprintf("%s[%d].%s", list, commas[2], inner)
			}
			return &FieldError{Field: field, Why: fmt.Sprintf("more than %d elements: at most %d records, events or acknowledged alert ids per request (%d batches)",
				maxArray, MaxRecords, MaxBatches)}
		}
	}
	return nil
}

// uploadLists are the lists of an upload request.
var uploadLists = []string{"records", "events", "ack_alerts", "batches"}

// known is key when it is one of names, else "".
func known(key []byte, names []string) string {
	for _, n := range names {
		if string(key) == n {
			return n
		}
	}
	return ""
}
