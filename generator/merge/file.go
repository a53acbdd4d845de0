package merge

import (
	"bytes"
	"path"
	"slices"
)

// Status says what File decided for one path.
type Status string

// The statuses File returns; --dry-run and the report print them as is.
const (
	StatusNew         Status = "new"          // absent from base and ours, in theirs: created
	StatusUnchanged   Status = "unchanged"    // the result is ours: nothing to write
	StatusUpdated     Status = "updated"      // ours is base, theirs differs: theirs replaces it
	StatusMerged      Status = "merged"       // both changed it; merged without conflicts
	StatusConflict    Status = "conflict"     // both changed it; the result holds conflict markers (or see Sidecar)
	StatusKeptDeleted Status = "kept-deleted" // the user deleted a file base had: it stays deleted
	StatusDeleted     Status = "deleted"      // theirs dropped a file the user never edited: delete it
	StatusKeptEdited  Status = "kept-edited"  // theirs dropped a file the user edited: it is kept
)

// Version is one side's version of a file. The zero Version is an absent
// file.
type Version struct {
	Data   []byte
	Exists bool
}

// Present returns the Version of a file with content data.
func Present(data []byte) Version { return Version{Data: data, Exists: true} }

// Result is the decision for one path.
type Result struct {
	Status Status
	// Content is the file's content after the merge when it exists
	// afterwards (for unchanged and kept-edited it is ours, so writing it
	// changes nothing); nil when the file is absent afterwards.
	Content []byte
	// Conflicts is the number of conflict blocks in Content.
	Conflicts int
	// Delete is set for StatusDeleted: remove the file.
	Delete bool
	// SidecarPath and Sidecar, when SidecarPath is not empty, are a file to
	// write next to a conflicting file that cannot hold markers (binary):
	// Content is ours unchanged and Sidecar is theirs, at path+".omnistack".
	SidecarPath string
	Sidecar     []byte
	// Note explains a decision the user should know about, or is empty.
	Note string
}

// File decides what happens to the file at path (slash-separated, relative
// to the project) given its pristine base, the user's version and the new
// render, and merges it when both sides changed it. It never drops a user
// edit silently: either the result holds it, or the status is conflict,
// kept-deleted or kept-edited and the caller reports it.
//
// go.mod and go.sum (at any depth) are merged with GoMod and GoSum (a go.mod
// that does not parse falls back to Merge). Binary files (with a NUL byte)
// are never line-merged: when both sides changed one, ours stays and theirs
// goes to the sidecar path+".omnistack". A file the user created at a path the
// render now also creates is merged against an empty base, so differing
// contents conflict rather than overwrite.
func File(name string, base, ours, theirs Version) Result {
	switch {
	case !ours.Exists && !theirs.Exists:
		return Result{Status: StatusUnchanged}
	case !ours.Exists && !base.Exists:
		return Result{Status: StatusNew, Content: theirs.Data}
	case !ours.Exists:
		r := Result{Status: StatusKeptDeleted}
		if !bytes.Equal(base.Data, theirs.Data) {
			r.Note = "omnistack changed this file, which you deleted; it stays deleted"
		}
		return r
	case !theirs.Exists && !base.Exists:
		return Result{Status: StatusUnchanged, Content: ours.Data} // the user's own file
	case !theirs.Exists && bytes.Equal(base.Data, ours.Data):
		return Result{Status: StatusDeleted, Delete: true}
	case !theirs.Exists:
		return Result{Status: StatusKeptEdited, Content: ours.Data,
			Note: "omnistack no longer generates this file, which you edited; it is kept"}
	case bytes.Equal(ours.Data, theirs.Data):
		return Result{Status: StatusUnchanged, Content: ours.Data}
	case base.Exists && bytes.Equal(base.Data, ours.Data):
		return Result{Status: StatusUpdated, Content: theirs.Data}
	case base.Exists && bytes.Equal(base.Data, theirs.Data):
		return Result{Status: StatusUnchanged, Content: ours.Data}
	}
	// Both sides changed the file, or both created it differently; an
	// absent base reads as empty.
	b, o, t := base.Data, ours.Data, theirs.Data
	if isBinary(b) || isBinary(o) || isBinary(t) {
		return Result{Status: StatusConflict, Content: o, Conflicts: 1,
			SidecarPath: name + ".omnistack", Sidecar: slices.Clone(t),
			Note: "binary file changed on both sides: yours is kept, omnistack's is in " + path.Base(name) + ".omnistack"}
	}
	var (
		out       []byte
		conflicts int
	)
	switch path.Base(name) {
	case "go.sum":
		out = GoSum(b, o, t)
	case "go.mod":
		var err error
		if out, err = GoMod(b, o, t); err != nil {
			out, conflicts = Merge(b, o, t, DefaultLabels)
		}
	default:
		out, conflicts = Merge(b, o, t, DefaultLabels)
	}
	switch {
	case conflicts > 0:
		return Result{Status: StatusConflict, Content: out, Conflicts: conflicts}
	case bytes.Equal(out, o):
		return Result{Status: StatusUnchanged, Content: o}
	}
	return Result{Status: StatusMerged, Content: out}
}

// isBinary reports whether b looks like a binary file: it has a NUL byte.
func isBinary(b []byte) bool { return bytes.IndexByte(b, 0) >= 0 }
