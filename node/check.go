package node

// Check applies the defaults to a copy of c and validates it, as New
// does, without starting anything: a reload checks a new configuration
// with it before replacing the running one.
func (c Config) Check() error {
	c.applyDefaults()
	return c.Validate()
}
