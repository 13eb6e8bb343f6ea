//go:build !linux || !cgo

package serve

// trimHeap is a no-op where glibc's malloc_trim is not available.
func trimHeap() {}
