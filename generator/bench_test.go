package generator

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkRender renders each preset in memory (templates parsed once, as
// in the CLI after the first render).
func BenchmarkRender(b *testing.B) {
	reg, err := LoadRegistry()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range reg.PresetNames() {
		res, err := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp", Features: reg.Presets[name].Features})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := reg.Render(res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNew is a whole `omnistack new` minus the CLI: load the registry,
// resolve, render, write into a fresh directory and create the git
// repository with its pristine ref.
func BenchmarkNew(b *testing.B) {
	reg, err := LoadRegistry()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range reg.PresetNames() {
		b.Run(name, func(b *testing.B) {
			parent := b.TempDir()
			i := 0
			for b.Loop() {
				i++
				reg, err := LoadRegistry()
				if err != nil {
					b.Fatal(err)
				}
				res, err := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp", Features: reg.Presets[name].Features})
				if err != nil {
					b.Fatal(err)
				}
				files, err := reg.Render(res)
				if err != nil {
					b.Fatal(err)
				}
				dir := filepath.Join(parent, fmt.Sprint(i))
				if err := Write(dir, files, WriteOptions{}); err != nil {
					b.Fatal(err)
				}
				if _, err := InitRepo(dir, files, "initial"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadRegistry is the registry load every command pays once:
// feature.yaml files, slots, services and the registry's checks.
func BenchmarkLoadRegistry(b *testing.B) {
	for b.Loop() {
		if _, err := LoadRegistry(); err != nil {
			b.Fatal(err)
		}
	}
}
