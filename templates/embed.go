// Package templates holds the embedded template trees that omnistack renders:
// base/ (always generated) and features/<name>/ (one folder per feature).
// See docs/templates.md for the contract between these trees and the engine.
package templates

import "embed"

// FS is the embedded template tree. The all: prefix keeps dot-files such as
// .gitignore and .env.example.tmpl.
//
//go:embed groups.yaml slots.yaml services all:base all:features
var FS embed.FS
