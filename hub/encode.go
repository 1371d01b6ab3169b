package hub

import "encoding/json"

// MarshalUpload is json.Marshal(q), byte for byte: the records, most of
// a counter's encoding CPU, are written by appendRecordJSON (the digest's
// writer, without reflection), any it leaves aside and the rest of the
// request by encoding/json (FuzzMarshalUploadSameAsJSON).
func MarshalUpload(q *UploadRequest) ([]byte, error) {
	b := make([]byte, 0, 64+700*len(q.Records))
	b = append(b, `{"records":`...)
	if q.Records == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range q.Records {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendRecordJSON(b, &q.Records[i]); !ok {
				j, err := json.Marshal(&q.Records[i])
				if err != nil {
					return nil, err
				}
				b = append(b, j...)
			}
		}
		b = append(b, ']')
	}
	rest := []struct {
		key string
		v   any
	}{{`,"events":`, q.Events}, {`,"ack_alerts":`, q.AckAlerts}, {`,"batches":`, q.Batches}}
	for i, f := range rest {
		if i == 2 && len(q.Batches) == 0 { // omitempty
			break
		}
		j, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b = append(append(b, f.key...), j...)
	}
	return append(b, '}'), nil
}
