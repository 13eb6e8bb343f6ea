// Package selfcheck holds the cross-package check that the synthetic world's
// ground truth, scored against itself with the eval packages, gives the
// metrics' perfect values (AP 1, PQ 1) and the expected CIDEr-D. It has no
// code of its own: see selfcheck_test.go.
package selfcheck
