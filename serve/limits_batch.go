package serve

// Admission without a slot, for batched requests: the batcher takes an
// inference slot for each encoder call and decoder step (batch.go).

// admitOne admits a request or refuses it at once when the server holds
// as many as it admits.
func (l *limiter) admitOne() error {
	select {
	case l.admit <- struct{}{}:
		return nil
	default:
		return errorf(ErrOverloaded, "%d requests in the server, the most it admits", cap(l.admit))
	}
}

// leave ends an admission of admitOne.
func (l *limiter) leave() { <-l.admit }
