package oracle

import "github.com/tokenkit/tokenkit"

// firstConfig is a bridge while the Source methods still take a variadic
// config (issue 14 replaces it with one argument): the first, or the zero
// config.
func firstConfig(cfg []tokenkit.SourceConfig) tokenkit.SourceConfig {
	if len(cfg) > 0 {
		return cfg[0]
	}
	return tokenkit.SourceConfig{}
}
