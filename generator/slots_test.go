package generator

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/omnistack/omnistack/presets"
	"github.com/omnistack/omnistack/templates"
)

// embeddedFS copies the embedded templates (minus the folders in drop) and
// presets into maps a test may change.
func embeddedFS(t *testing.T, drop ...string) (fstest.MapFS, fstest.MapFS) {
	t.Helper()
	dropped := func(p string) bool {
		return slices.ContainsFunc(drop, func(f string) bool { return strings.HasPrefix(p, "features/"+f+"/") })
	}
	tfs, pfs := fstest.MapFS{}, fstest.MapFS{}
	if err := copyInto(tfs, templates.FS, ".", dropped); err != nil {
		t.Fatal(err)
	}
	if err := copyInto(pfs, presets.FS, ".", nil); err != nil {
		t.Fatal(err)
	}
	return tfs, pfs
}

func mustRender(t *testing.T, reg *Registry, features []string) Files {
	t.Helper()
	res, err := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp", Features: features})
	if err != nil {
		t.Fatal(err)
	}
	files, err := reg.Render(res)
	if err != nil {
		t.Fatalf("render %v: %v", features, err)
	}
	return files
}

// Deleting a feature's folder leaves the output of every feature set that
// does not contain it byte-identical: the whole footprint of a feature is
// its folder. Checked for every feature nothing requires or names in after
// (a feature with code for another, as ratelimit has for redis, declares
// it there), against every preset and every pairwise-cover set without it.
func TestDeletingAFeatureChangesNothingElse(t *testing.T) {
	full, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	required := map[string]bool{}
	for _, f := range full.Features {
		for _, r := range append(slices.Clone(f.Requires), f.After...) {
			required[r] = true
		}
		for _, def := range f.RequiresGroup {
			required[def] = true // the member added when none is chosen cannot go
		}
	}
	for _, g := range full.Groups {
		required[g.Default] = true // a group default cannot go
	}
	sets := [][]string{}
	for _, name := range full.PresetNames() {
		sets = append(sets, full.Presets[name].Features)
	}
	sets = append(sets, full.PairwiseCover()...)
	checked := 0
	for _, gone := range full.FeatureNames() {
		if required[gone] {
			continue
		}
		t.Run(gone, func(t *testing.T) {
			tfs, pfs := embeddedFS(t, gone)
			for name, f := range pfs { // presets naming the feature go with it
				if bytes.Contains(f.Data, []byte(gone)) {
					delete(pfs, name)
				}
			}
			reg, err := loadRegistry(tfs, pfs)
			if err == nil {
				err = reg.Lint()
			}
			if err != nil {
				t.Fatalf("registry without %s: %v", gone, err)
			}
			compared := 0
			for _, set := range sets {
				resolved, _, err := full.ResolveFeatures(set)
				if err != nil {
					t.Fatal(err)
				}
				if slices.Contains(resolved, gone) {
					continue
				}
				want, got := mustRender(t, full, set), mustRender(t, reg, set)
				if !slices.Equal(want.Paths(), got.Paths()) {
					t.Errorf("%v: without %s the file list changes", set, gone)
				}
				for _, p := range want.Paths() {
					if !bytes.Equal(want[p], got[p]) {
						t.Errorf("%v: without the %s folder, %s changes", set, gone, p)
					}
				}
				compared++
			}
			if compared == 0 {
				t.Fatalf("no feature set without %s to compare", gone)
			}
		})
		checked++
	}
	if checked < 3 {
		t.Fatalf("only %d features checked; the registry should have more that nothing requires", checked)
	}
}

// probeFeatures is the feature set the throwaway probe feature is rendered
// with (it conflicts with the fillers of the one-fragment slots).
var probeFeatures = []string{"probe", "redis", "ratelimit"}

// The probe feature (generator/testdata/probe) fills every declared slot;
// rendered, each slot shows its fragment. make e2e builds and tests the
// project (TestProbeProject).
func TestProbeFillsEverySlot(t *testing.T) {
	reg, err := LoadRegistryWithFeature("probe", "testdata/probe")
	if err != nil {
		t.Fatal(err)
	}
	probe := reg.Features["probe"]
	for _, name := range reg.SlotNames() {
		if _, ok := probe.fragments[name]; !ok {
			t.Errorf("slot %s: the probe feature has no slots/%s.tmpl; add one so make e2e proves the slot builds", name, name)
		}
	}
	var shared, owned []string
	for _, name := range reg.SlotNames() {
		if reg.Slots[name].Feature == "" {
			shared = append(shared, name)
		} else {
			owned = append(owned, name)
		}
	}
	checkProbeFills(t, reg, probeFeatures, shared)

	// A slot that belongs to a feature (feature: in slots.yaml) renders
	// only with it. The probe excludes the auth features, since it fills
	// their one-fragment slots, and the owner may need one (admin does):
	// so these render with a probe that leaves those slots and conflicts
	// out.
	if len(owned) > 0 {
		lenient := probeWithoutOneSlots(t, reg)
		for _, name := range owned {
			checkProbeFills(t, lenient, []string{"probe", reg.Slots[name].Feature}, []string{name})
		}
	}
}

// checkProbeFills renders features and checks that each of slots was used
// and shows the probe's fragment.
func checkProbeFills(t *testing.T, reg *Registry, features, slots []string) {
	t.Helper()
	res, err := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp", Features: features})
	if err != nil {
		t.Fatal(err)
	}
	_, rr, err := reg.renderSources(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slots {
		out, used := rr.slots[name]
		if !used {
			t.Errorf("slot %s: no template of the feature set %v used it", name, features)
			continue
		}
		frag, err := rr.execute(reg.Features["probe"].fragments[name])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, strings.Trim(string(frag), "\n")) {
			t.Errorf("slot %s rendered to %q, without the probe's fragment %q", name, out, frag)
		}
	}
}

// probeWithoutOneSlots loads the registry with a probe that fills no
// one-fragment slot and so needs to exclude none of their fillers.
func probeWithoutOneSlots(t *testing.T, reg *Registry) *Registry {
	t.Helper()
	tfs, pfs := embeddedFS(t)
	var fillers []string
	skip := func(p string) bool {
		sl, ok := strings.CutSuffix(strings.TrimPrefix(p, "slots/"), ".tmpl")
		return ok && strings.HasPrefix(p, "slots/") && reg.Slots[sl] != nil && reg.Slots[sl].One
	}
	for _, f := range reg.Features {
		for sl := range f.fragments {
			if f.Name != "probe" && reg.Slots[sl].One && !slices.Contains(fillers, f.Name) {
				fillers = append(fillers, f.Name)
			}
		}
	}
	if err := copyInto(tfs, os.DirFS("testdata/probe"), "features/probe", skip); err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, c := range reg.Features["probe"].Conflicts {
		if !slices.Contains(fillers, c) {
			keep = append(keep, c)
		}
	}
	f := tfs["features/probe/feature.yaml"]
	lines := strings.Split(string(f.Data), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "conflicts:") {
			lines[i] = "conflicts: [" + strings.Join(keep, ", ") + "]"
		}
	}
	f.Data = []byte(strings.Join(lines, "\n"))
	lenient, err := loadRegistry(tfs, pfs)
	if err != nil {
		t.Fatal(err)
	}
	return lenient
}

// The fields of the generated config.Config are the env declarations:
// names, defaults and required flags agree, for every preset and cover set.
func TestConfigIsTheEnvDeclarations(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	sets := append([][]string{reg.Presets["minimal"].Features}, reg.PairwiseCover()...)
	for _, set := range sets {
		files := mustRender(t, reg, set)
		res, _ := reg.Resolve(Spec{Name: "myapp", Module: "example.com/myapp", Features: set})
		rr, err := reg.newRenderer(res)
		if err != nil {
			t.Fatal(err)
		}
		type decl struct {
			Field, Type, Default string
			Required             bool
		}
		want := map[string]decl{}
		for _, e := range rr.data.Env {
			want[e.Name] = decl{e.Field, e.Type, e.Default, e.Required}
		}
		got := map[string]decl{}
		f, err := parser.ParseFile(token.NewFileSet(), "config.go", files["internal/config/config.go"], 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || ts.Name.Name != "Config" {
				return true
			}
			for _, field := range ts.Type.(*ast.StructType).Fields.List {
				tag, _ := strconv.Unquote(field.Tag.Value)
				envTag := reflect.StructTag(tag).Get("env")
				name, opts, _ := strings.Cut(envTag, ",")
				var typ bytes.Buffer
				_ = printerFprint(&typ, field.Type)
				got[name] = decl{field.Names[0].Name, typ.String(), reflect.StructTag(tag).Get("envDefault"), strings.Contains(opts, "required")}
			}
			return false
		})
		if !maps.Equal(got, want) {
			t.Errorf("features %v: config.Config fields\n got %v\nwant %v", set, got, want)
		}
	}
}

func printerFprint(buf *bytes.Buffer, x ast.Expr) error {
	return printer.Fprint(buf, token.NewFileSet(), x)
}

// The embedded registry keeps the slot contract and the migration rules.
func TestRegistryLint(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Lint(); err != nil {
		t.Fatal(err)
	}
}

// Each way a feature folder can break the slot contract is a registry
// error that names the feature and file.
func TestRegistryRefusesBrokenFeatures(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(tfs fstest.MapFS)
		want string
	}{
		{"fragment for an unknown slot", func(tfs fstest.MapFS) {
			tfs["features/ratelimit/slots/app.servics.tmpl"] = &fstest.MapFile{Data: []byte("x")}
		}, `feature ratelimit: features/ratelimit/slots/app.servics.tmpl fills unknown slot "app.servics"`},
		{"one slot filled by combinable features", func(tfs fstest.MapFS) {
			tfs["features/ratelimit/slots/readme.auth.tmpl"] = &fstest.MapFile{Data: []byte("x")}
		}, `slot "readme.auth" takes one fragment, but features`},
		{"has in base", func(tfs fstest.MapFS) {
			tfs["base/files/x.txt.tmpl"] = &fstest.MapFile{Data: []byte(`{{if has "redis"}}x{{end}}`)}
		}, "template base/files/x.txt.tmpl: base names a feature with has"},
		{"has of an undeclared feature", func(tfs fstest.MapFS) {
			tfs["features/users/files/x.txt.tmpl"] = &fstest.MapFile{Data: []byte(`{{if has "redis"}}x{{end}}`)}
		}, `template features/users/files/x.txt.tmpl: has "redis" names a feature users does not declare`},
		{"undeclared slot", func(tfs fstest.MapFS) {
			tfs["base/files/x.txt.tmpl"] = &fstest.MapFile{Data: []byte(`{{slot "nowhere"}}`)}
		}, `template base/files/x.txt.tmpl: slot "nowhere" is not declared`},
		{"unused slot", func(tfs fstest.MapFS) {
			tfs["slots.yaml"].Data = append(tfs["slots.yaml"].Data, "\n- {name: spare, doc: nothing uses it}\n"...)
		}, `slot "spare" is declared but no template uses it`},
		{"migration outside the block", func(tfs fstest.MapFS) {
			for _, d := range []string{"sqlite", "postgres"} {
				tfs["features/users/files/internal/db/migrations/"+d+"/00020_users_more.sql.tmpl"] = &fstest.MapFile{Data: []byte("x")}
			}
		}, "feature users: features/users/files/internal/db/migrations/postgres/00020_users_more.sql.tmpl: number 00020 is outside the feature's block 00010..00019"},
		{"migration in one dialect", func(tfs fstest.MapFS) {
			tfs["features/users/files/internal/db/migrations/sqlite/00011_users_more.sql.tmpl"] = &fstest.MapFile{Data: []byte("x")}
		}, "feature users: migration 00011_users_more.sql exists for sqlite but not for postgres"},
		{"migration named after another feature", func(tfs fstest.MapFS) {
			for _, d := range []string{"sqlite", "postgres"} {
				tfs["features/users/files/internal/db/migrations/"+d+"/00011_items_more.sql.tmpl"] = &fstest.MapFile{Data: []byte("x")}
			}
		}, "the name must carry the feature (NNNNN_users_<what>.sql)"},
		{"overlapping blocks", func(tfs fstest.MapFS) {
			f := tfs["features/auth-clerk/feature.yaml"]
			f.Data = bytes.Replace(f.Data, []byte("migration: 40"), []byte("migration: 25"), 1)
		}, "migration block 00025..00029 overlaps auth-builtin's 00020..00029"},
		{"unknown service", func(tfs fstest.MapFS) {
			f := tfs["features/redis/feature.yaml"]
			f.Data = bytes.Replace(f.Data, []byte("services: [redis]"), []byte("services: [valkey]"), 1)
		}, `feature redis: service "valkey" has no templates/services/valkey.yaml`},
		{"cycle", func(tfs fstest.MapFS) {
			f := tfs["features/redis/feature.yaml"]
			f.Data = bytes.Replace(f.Data, []byte("migration: 0"), []byte("migration: 0\nafter: [ratelimit]"), 1)
		}, "form a cycle through requires and after"},
		{"requires_group of an unknown group", func(tfs fstest.MapFS) {
			f := tfs["features/ratelimit/feature.yaml"]
			f.Data = bytes.Replace(f.Data, []byte("after: [redis, metrics]"), []byte("after: [redis, metrics]\nrequires_group: {authn: auth-builtin}"), 1)
		}, `feature ratelimit: requires_group names unknown group "authn"`},
		{"requires_group default outside its group", func(tfs fstest.MapFS) {
			f := tfs["features/ratelimit/feature.yaml"]
			f.Data = bytes.Replace(f.Data, []byte("after: [redis, metrics]"), []byte("after: [redis, metrics]\nrequires_group: {auth: users}"), 1)
		}, `feature ratelimit: requires_group auth: "users" is not a feature of group auth (choose one of auth-builtin, auth-clerk, auth-supabase)`},
		{"has of a member of a group not required", func(tfs fstest.MapFS) {
			tfs["features/ratelimit/files/x.txt.tmpl"] = &fstest.MapFile{Data: []byte(`{{if has "auth-clerk"}}x{{end}}`)}
		}, `has "auth-clerk" names a feature ratelimit does not declare; add it to requires or after (or its group to requires_group)`},
		{"env without a field", func(tfs fstest.MapFS) {
			f := tfs["features/redis/feature.yaml"]
			f.Data = bytes.Replace(f.Data, []byte("    field: RedisURL\n"), nil, 1)
		}, `feature redis: env REDIS_URL: field "" is not an exported Go identifier`},
		{"typed env without its value", func(tfs fstest.MapFS) {
			f := tfs["features/ratelimit/feature.yaml"]
			f.Data = bytes.Replace(f.Data, []byte(`    value: "ratelimit.Spec{Limit: 60, Window: time.Minute}"`+"\n"), nil, 1)
		}, "env RATE_LIMIT_DEFAULT: type ratelimit.Spec with default \"60/minute\" needs value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tfs, pfs := embeddedFS(t)
			tc.edit(tfs)
			reg, err := loadRegistry(tfs, pfs)
			if err == nil {
				err = reg.Lint()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("loadRegistry() error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestRequiresGroupOrdersAfterTheMember: a feature that needs one of a
// group comes after whichever member is selected, though its name sorts
// first, and may test any member with has.
func TestRequiresGroupOrdersAfterTheMember(t *testing.T) {
	reg := testRegistry(t)
	for _, auth := range []string{"auth-a", "auth-b"} {
		got := reg.Order([]string{"ai", auth, "users"})
		if want := []string{"users", auth, "ai"}; !slices.Equal(got, want) {
			t.Errorf("Order = %v, want %v", got, want)
		}
	}
}

func TestOrderDependenciesFirstThenName(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	got := reg.Order([]string{"users", "auth-builtin", "ratelimit", "redis", "sqlite"})
	want := []string{"redis", "ratelimit", "sqlite", "users", "auth-builtin"}
	if !slices.Equal(got, want) {
		t.Fatalf("Order = %v, want %v (ratelimit after redis, auth-builtin after users)", got, want)
	}
}
