package merge

import (
	"bytes"
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// GoMod merges go.mod files by meaning rather than by line. It starts from
// ours, so the user's module path, requirements, replacements, exclusions,
// tools, godebugs, retractions and comments stay, and applies what theirs
// changed since base:
//
//   - a requirement theirs added is added; one both list gets the higher
//     version (semver.Max) and theirs' "// indirect" marking;
//   - a requirement theirs dropped is dropped only if ours still has it
//     exactly as base had it (version and indirect marking);
//   - a requirement the user dropped stays dropped unless theirs changed it
//     (the new render needs it);
//   - the go line and the toolchain line get the higher version;
//   - replace, exclude, tool and godebug lines theirs added or changed are
//     set unless the user changed them too; those theirs dropped are
//     dropped if the user left them as base had them.
//
// Requirements are laid out as go mod tidy writes them: a direct block and
// an indirect block. When ours equals base the result is theirs byte for
// byte; when theirs equals base (or ours) it is ours. GoMod fails only if a
// file does not parse.
func GoMod(base, ours, theirs []byte) ([]byte, error) {
	switch {
	case bytes.Equal(base, ours):
		return slices.Clone(theirs), nil
	case bytes.Equal(base, theirs), bytes.Equal(ours, theirs):
		return slices.Clone(ours), nil
	}
	bf, err := modfile.Parse("go.mod (base)", base, nil)
	if err != nil {
		return nil, err
	}
	of, err := modfile.Parse("go.mod", ours, nil)
	if err != nil {
		return nil, err
	}
	tf, err := modfile.Parse("go.mod (omnistack)", theirs, nil)
	if err != nil {
		return nil, err
	}

	if tf.Go != nil && (of.Go == nil || compareGo(of.Go.Version, tf.Go.Version) < 0) {
		if err := of.AddGoStmt(tf.Go.Version); err != nil {
			return nil, err
		}
	}
	if tc := toolchainOf(tf); tc != "" && tc != toolchainOf(bf) {
		if oc := toolchainOf(of); oc == "" || compareGo(toolchainVersion(oc), toolchainVersion(tc)) < 0 {
			if err := of.AddToolchainStmt(tc); err != nil {
				return nil, err
			}
		}
	}

	of.SetRequireSeparateIndirect(mergeRequires(bf, of, tf))
	if err := mergeReplaces(bf, of, tf); err != nil {
		return nil, err
	}
	if err := mergeExcludes(bf, of, tf); err != nil {
		return nil, err
	}
	if err := mergeTools(bf, of, tf); err != nil {
		return nil, err
	}
	if err := mergeGodebugs(bf, of, tf); err != nil {
		return nil, err
	}
	of.Cleanup()
	return of.Format()
}

type req struct {
	version  string
	indirect bool
}

func requires(f *modfile.File) map[string]req {
	m := map[string]req{}
	for _, r := range f.Require {
		m[r.Mod.Path] = req{r.Mod.Version, r.Indirect}
	}
	return m
}

func mergeRequires(bf, of, tf *modfile.File) []*modfile.Require {
	b, o, t := requires(bf), requires(of), requires(tf)
	var out []*modfile.Require
	keep := func(path string, r req) {
		out = append(out, &modfile.Require{Mod: moduleVersion(path, r.version), Indirect: r.indirect})
	}
	for path, or := range o {
		tr, inT := t[path]
		br, inB := b[path]
		switch {
		case inT:
			keep(path, req{maxVersion(or.version, tr.version), tr.indirect})
		case inB && or == br:
			// theirs dropped it and the user did not touch it
		default:
			keep(path, or) // the user's own, or changed by the user
		}
	}
	for path, tr := range t {
		if _, inO := o[path]; inO {
			continue
		}
		if br, inB := b[path]; inB && br == tr {
			continue // the user dropped it; theirs did not change it
		}
		keep(path, tr)
	}
	slices.SortFunc(out, func(x, y *modfile.Require) int { return strings.Compare(x.Mod.Path, y.Mod.Path) })
	return out
}

// merge3 applies to ours the changes theirs made to a keyed set, unless
// the user changed the same key: a key theirs added or changed is set (also
// if the user had dropped it, as for requirements), a key theirs dropped is
// dropped if ours still has base's value.
func merge3[V comparable](b, o, t map[string]V, set func(string, V) error, drop func(string) error) error {
	for _, k := range slices.Sorted(maps.Keys(t)) {
		tv := t[k]
		bv, inB := b[k]
		ov, inO := o[k]
		if inB && bv == tv {
			continue // theirs did not change it
		}
		if inO && (ov == tv || !inB || ov != bv) {
			continue // already so, or the user changed it too: the user's version wins
		}
		if err := set(k, tv); err != nil {
			return err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, inT := t[k]; inT {
			continue
		}
		if ov, inO := o[k]; inO && ov == b[k] {
			if err := drop(k); err != nil {
				return err
			}
		}
	}
	return nil
}

func replaces(f *modfile.File) map[string]string {
	m := map[string]string{}
	for _, r := range f.Replace {
		m[r.Old.Path+"@"+r.Old.Version] = r.New.Path + "@" + r.New.Version
	}
	return m
}

func mergeReplaces(bf, of, tf *modfile.File) error {
	return merge3(replaces(bf), replaces(of), replaces(tf),
		func(old, new string) error {
			op, ov := splitAt(old)
			np, nv := splitAt(new)
			return of.AddReplace(op, ov, np, nv)
		},
		func(old string) error {
			op, ov := splitAt(old)
			return of.DropReplace(op, ov)
		})
}

func splitAt(s string) (path, version string) {
	i := strings.LastIndex(s, "@")
	return s[:i], s[i+1:]
}

func excludes(f *modfile.File) map[string]bool {
	m := map[string]bool{}
	for _, e := range f.Exclude {
		m[e.Mod.Path+"@"+e.Mod.Version] = true
	}
	return m
}

func mergeExcludes(bf, of, tf *modfile.File) error {
	return merge3(excludes(bf), excludes(of), excludes(tf),
		func(k string, _ bool) error { p, v := splitAt(k); return of.AddExclude(p, v) },
		func(k string) error { p, v := splitAt(k); return of.DropExclude(p, v) })
}

func tools(f *modfile.File) map[string]bool {
	m := map[string]bool{}
	for _, t := range f.Tool {
		m[t.Path] = true
	}
	return m
}

func mergeTools(bf, of, tf *modfile.File) error {
	return merge3(tools(bf), tools(of), tools(tf),
		func(p string, _ bool) error { return of.AddTool(p) },
		of.DropTool)
}

func godebugs(f *modfile.File) map[string]string {
	m := map[string]string{}
	for _, g := range f.Godebug {
		m[g.Key] = g.Value
	}
	return m
}

func mergeGodebugs(bf, of, tf *modfile.File) error {
	return merge3(godebugs(bf), godebugs(of), godebugs(tf), of.AddGodebug, of.DropGodebug)
}

func toolchainOf(f *modfile.File) string {
	if f.Toolchain == nil {
		return ""
	}
	return f.Toolchain.Name
}

// toolchainVersion turns "go1.26.1" or "go1.26.1-custom" into "1.26.1".
func toolchainVersion(name string) string {
	v, _, _ := strings.Cut(strings.TrimPrefix(name, "go"), "-")
	return v
}

// compareGo compares Go versions as the go command does: 1.21 < 1.21rc1 <
// 1.21.0 < 1.21.1 < 1.22. Unparsable versions sort first, by text.
func compareGo(a, b string) int {
	pa, okA := parseGo(a)
	pb, okB := parseGo(b)
	if !okA || !okB {
		if okA != okB {
			return cmp.Compare(boolInt(okA), boolInt(okB))
		}
		return strings.Compare(a, b)
	}
	return slices.Compare(pa[:], pb[:])
}

// parseGo parses "1.21", "1.21rc1", "1.21.3" into major, minor, kind
// (0 language, 1 beta, 2 rc, 3 release), number (pre-release or patch).
func parseGo(v string) ([4]int, bool) {
	var p [4]int
	major, rest, ok := strings.Cut(v, ".")
	if !ok {
		return p, false
	}
	var err error
	if p[0], err = strconv.Atoi(major); err != nil {
		return p, false
	}
	minor, patch, hasPatch := strings.Cut(rest, ".")
	if i := strings.IndexAny(minor, "br"); i >= 0 && !hasPatch {
		pre := minor[i:]
		minor = minor[:i]
		switch {
		case strings.HasPrefix(pre, "beta"):
			p[2], pre = 1, pre[len("beta"):]
		case strings.HasPrefix(pre, "rc"):
			p[2], pre = 2, pre[len("rc"):]
		default:
			return p, false
		}
		if p[3], err = strconv.Atoi(pre); err != nil {
			return p, false
		}
	} else if hasPatch {
		p[2] = 3
		if p[3], err = strconv.Atoi(patch); err != nil {
			return p, false
		}
	}
	if p[1], err = strconv.Atoi(minor); err != nil {
		return p, false
	}
	return p, true
}

func moduleVersion(path, version string) module.Version {
	return module.Version{Path: path, Version: version}
}

// maxVersion returns the higher of two versions, as written (semver.Max
// would canonicalise them).
func maxVersion(a, b string) string {
	if semver.Compare(a, b) < 0 {
		return b
	}
	return a
}
