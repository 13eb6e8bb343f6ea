package ortrun

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

// The ORT C API is a table of function pointers whose order never changes
// (ABI stability is a promise of onnxruntime_c_api.h). We need only four
// entries, so we index the table instead of vendoring the 5,000-line header.
// Indices for C API version 24: ReleaseStatus 93, GetErrorMessage 2,
// GetAvailableProviders 125, ReleaseAvailableProviders 126.
typedef struct {
	const void* (*GetApi)(uint32_t version);
	const char* (*GetVersionString)(void);
} rv_api_base;
typedef const rv_api_base* (*rv_get_api_base_fn)(void);
typedef void* (*rv_status_fn2)(char***, int*);
typedef void* (*rv_release_providers_fn)(char**, int);
typedef const char* (*rv_error_message_fn)(const void*);
typedef void (*rv_release_status_fn)(void*);

typedef struct {
	int ok;              // 1 when the library loaded and speaks the API version
	const char* err;     // static or dlerror() text when ok == 0
	char version[64];
	int has_api;
	char providers[512]; // comma-separated
} rv_probe_result;

static void rv_copy(char* dst, size_t n, const char* src) {
	size_t i = 0;
	if (src) for (; i + 1 < n && src[i]; i++) dst[i] = src[i];
	dst[i] = 0;
}

static void rv_probe(const char* path, uint32_t api_version, rv_probe_result* r) {
	r->ok = 0; r->err = 0; r->version[0] = 0; r->has_api = 0; r->providers[0] = 0;
	void* h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	if (!h) { r->err = dlerror(); return; }
	rv_get_api_base_fn get_base = (rv_get_api_base_fn)dlsym(h, "OrtGetApiBase");
	if (!get_base) { r->err = "no OrtGetApiBase symbol: not an ONNX Runtime library"; dlclose(h); return; }
	const rv_api_base* base = get_base();
	rv_copy(r->version, sizeof r->version, base->GetVersionString());
	void* const* api = (void* const*)base->GetApi(api_version);
	if (!api) { r->err = "library does not provide the required C API version"; dlclose(h); return; }
	r->has_api = 1;
	char** names = 0; int n = 0;
	void* st = ((rv_status_fn2)api[125])(&names, &n);
	if (st) {
		rv_copy(r->providers, sizeof r->providers, ((rv_error_message_fn)api[2])(st));
		((rv_release_status_fn)api[93])(st);
		r->err = "GetAvailableProviders failed";
		dlclose(h);
		return;
	}
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && off + 1 < sizeof r->providers) r->providers[off++] = ',';
		rv_copy(r->providers + off, sizeof r->providers - off, names[i]);
		while (r->providers[off]) off++;
	}
	((rv_release_providers_fn)api[126])(names, n);
	r->ok = 1;
	// Keep the handle open: onnxruntime_go dlopens the same path next, and
	// closing here would unload and reload 35 MB for nothing.
}
*/
import "C"

import (
	"errors"
	"strings"
	"unsafe"
)

// apiVersion is the ORT C API version that onnxruntime_go v1.27.0 speaks.
const apiVersion = 24

// libInfo is what probing a candidate library found.
type libInfo struct {
	Version   string
	Providers []string
}

// errAPIMismatch means the library loaded but is an ONNX Runtime that does
// not offer C API version 24 (older than 1.24).
var errAPIMismatch = errors.New("ONNX Runtime C API version mismatch")

// probe loads path and reads its version and available execution providers
// without touching onnxruntime_go's global state.
func probe(path string) (libInfo, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var r C.rv_probe_result
	C.rv_probe(cpath, apiVersion, &r)
	info := libInfo{Version: C.GoString(&r.version[0])}
	if r.ok == 0 {
		if r.has_api == 0 && info.Version != "" {
			return info, errAPIMismatch
		}
		return info, errors.New(C.GoString(r.err))
	}
	if p := C.GoString(&r.providers[0]); p != "" {
		info.Providers = strings.Split(p, ",")
	}
	return info, nil
}
