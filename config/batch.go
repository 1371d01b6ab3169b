package config

// BatchConfig configures batches of partition mail.
type BatchConfig struct {
	// Auto opens a batch on the first verified mark at a counter without
	// an open batch, with that mark's contract.
	Auto bool `mapstructure:"auto"`
}
