package httpx

import (
	"slices"

	"github.com/tokenkit/tokenkit"
	"github.com/tokenkit/tokenkit/internal/config"
)

// PresentationOption builds a vendor's WithPresentation-style option named
// name: ps is copied at once (the caller may reuse its slice); when New
// applies the option, the copy must pass tokenkit.ValidatePresentations and
// the vendor's own rules (Clone Guard: never the x-api-key header), else New
// fails with an error of kind tokenkit.KindConfig; then set stores it in
// the vendor's settings.
func PresentationOption(vendor, name string, ps []tokenkit.Presentation, set func(*config.Settings, []tokenkit.Presentation), rules ...func(tokenkit.Presentation) error) tokenkit.Option {
	ps = slices.Clone(ps)
	return VendorOption(vendor, name, func(s *config.Settings) {
		if err := tokenkit.ValidatePresentations(ps...); err != nil {
			s.Fail(OptionError(vendor, "%s: %v", name, err))
			return
		}
		for _, p := range ps {
			for _, rule := range rules {
				if err := rule(p); err != nil {
					s.Fail(OptionError(vendor, "%s: %v", name, err))
					return
				}
			}
		}
		set(s, slices.Clone(ps))
	})
}
