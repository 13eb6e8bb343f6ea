//go:build linux && cgo

package serve

// #include <malloc.h>
import "C"

// trimHeap gives the C heap's free memory back to the system. Loading a
// model leaves ONNX Runtime's freed parse and optimisation buffers
// scattered in glibc's heap, which keeps them; after a model is closed
// this returns what it can, so reload cycles do not ratchet RSS up.
func trimHeap() { C.malloc_trim(0) }
