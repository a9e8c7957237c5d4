package capmatrix

import (
	"slices"
	"testing"
)

// TestLookup: Lookup answers from Matrix, cell for cell, and says when it
// has no answer.
func TestLookup(t *testing.T) {
	for _, r := range Matrix {
		for _, v := range Verbs() {
			c, ok := Lookup(r.Vendor, v)
			if !ok || !slices.Equal(c.By, r.Cells[v].By) || c.Why != r.Cells[v].Why {
				t.Errorf("Lookup(%s, %s) = %+v, %v; Matrix has %+v", r.Vendor, v, c, ok, r.Cells[v])
			}
			if c.Can() != (len(r.Cells[v].By) > 0) {
				t.Errorf("%s %s: Can() = %v for %+v", r.Vendor, v, c.Can(), c)
			}
		}
	}
	if c, ok := Lookup("nosuchvendor", Issue); ok || c.Can() {
		t.Errorf("unknown vendor: %+v, %v", c, ok)
	}
	if _, ok := Lookup("csp", numVerbs); ok {
		t.Error("a verb out of range was answered")
	}
	if _, ok := Lookup("csp", -1); ok {
		t.Error("a negative verb was answered")
	}
}
