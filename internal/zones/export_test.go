package zones

// For the tests of package zones_test, which use zonestest (it imports
// zones).
var (
	SystemFrom  = systemFrom
	EmbeddedZip = embeddedZip
)
