// Command omnistack scaffolds production-grade Go backend services.
//
//	omnistack new myapp            # interactive form in a terminal
//	omnistack new myapp --yes      # defaults, no questions
//	omnistack features             # what can be generated
//
// See the README for the design and `omnistack <command> --help` for details.
package main

import (
	"os"

	"golang.org/x/term"
)

func main() {
	sys := &System{
		In:       os.Stdin,
		Out:      os.Stdout,
		Err:      os.Stderr,
		Getenv:   os.Getenv,
		Terminal: term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stdout.Fd())),
	}
	if w, h, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
		sys.Width, sys.Height = w, h
	}
	os.Exit(Execute(sys, os.Args[1:]))
}
