package pgstore

import (
	"testing"

	"markd/hub/hubtest"
)

func TestBatchTotalsSuite(t *testing.T) { hubtest.RunBatchTotalsSuite(t, open) }
