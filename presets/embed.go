// Package presets holds the embedded preset files: named feature sets that
// `omnistack new --preset` starts from.
package presets

import "embed"

// FS holds one <name>.yaml per preset.
//
//go:embed *.yaml
var FS embed.FS
