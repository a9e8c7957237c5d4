// Package legacypres reads the attribute "presentation" that csp and
// commvault wrote into a persisted token before every vendor recorded its
// presentations with tokenkit.Exported.SetPresentations (attribute
// "presentations"), so that files saved by those versions still load.
package legacypres

import (
	"encoding/json"
	"fmt"

	"github.com/tokenkit/tokenkit"
)

// Attr is the legacy attribute's name.
const Attr = "presentation"

// Presentations returns how the token of e is presented: what
// e.Presentations reads when the attribute "presentations" is there, else
// the legacy attribute "presentation", else nil (the caller's default).
// The legacy attribute is either a key of numbers (the integer constants
// the first version of the vendor wrote) or a JSON list of presentations
// whose keys may be "header"/"prefix" or "Header"/"Prefix". Anything else,
// or a list that breaks tokenkit.ValidatePresentations, is an error
// matching tokenkit.ErrExportFormat.
func Presentations(e *tokenkit.Exported, numbers map[string][]tokenkit.Presentation) ([]tokenkit.Presentation, error) {
	ps, err := e.Presentations()
	if err != nil || ps != nil {
		return ps, err
	}
	attr, ok := e.Attrs[Attr]
	if !ok || attr == "" {
		return nil, nil
	}
	if ps, ok := numbers[attr]; ok {
		return ps, nil
	}
	// encoding/json matches keys without regard to case: both spellings
	// decode into tokenkit.Presentation.
	if err := json.Unmarshal([]byte(attr), &ps); err != nil {
		return nil, fmt.Errorf("%w: %s: attribute %s is not a list of presentations", tokenkit.ErrExportFormat, e.Vendor, Attr)
	}
	if err := tokenkit.ValidatePresentations(ps...); err != nil {
		return nil, fmt.Errorf("%w: %s: attribute %s: %v", tokenkit.ErrExportFormat, e.Vendor, Attr, err)
	}
	return ps, nil
}
