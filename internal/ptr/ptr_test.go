package ptr_test

import (
	"testing"

	"github.com/tokenkit/tokenkit/internal/ptr"
)

func TestToAndDeref(t *testing.T) {
	v := 7
	p := ptr.To(v)
	if got := ptr.Deref(p); got != 7 {
		t.Fatalf("Deref = %d", got)
	}
	*p = 8
	if v != 7 {
		t.Fatalf("To must copy: v = %d", v)
	}
	if got := ptr.Deref[string](nil); got != "" {
		t.Fatalf("Deref(nil) = %q", got)
	}
	if got := ptr.Deref[[]int](nil); got != nil {
		t.Fatalf("Deref(nil) = %v", got)
	}
}
