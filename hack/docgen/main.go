// Command docgen writes lumper's man pages and shell completions from its
// cobra command tree: docgen -man DIR -completions DIR.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/lumper/lumper/cmd/lumper/commands"
)

func main() {
	man := flag.String("man", "", "write man pages (lumper.1, lumper-VERB.1) into this directory")
	comp := flag.String("completions", "", "write bash, zsh and fish completions into this directory")
	flag.Parse()
	if err := run(*man, *comp); err != nil {
		fmt.Fprintln(os.Stderr, "docgen:", err)
		os.Exit(1)
	}
}

func run(man, comp string) error {
	root := commands.NewRoot()
	root.DisableAutoGenTag = true
	if man != "" {
		if err := os.MkdirAll(man, 0o755); err != nil {
			return err
		}
		hdr := &doc.GenManHeader{Title: "LUMPER", Section: "1", Source: "lumper", Manual: "lumper manual"}
		if err := doc.GenManTree(root, hdr, man); err != nil {
			return fmt.Errorf("writing man pages: %w", err)
		}
	}
	if comp != "" {
		if err := os.MkdirAll(comp, 0o755); err != nil {
			return err
		}
		for file, gen := range map[string]func(*cobra.Command, string) error{
			"lumper.bash": func(c *cobra.Command, f string) error { return c.GenBashCompletionFileV2(f, true) },
			"_lumper":     (*cobra.Command).GenZshCompletionFile,
			"lumper.fish": func(c *cobra.Command, f string) error { return c.GenFishCompletionFile(f, true) },
		} {
			if err := gen(root, filepath.Join(comp, file)); err != nil {
				return fmt.Errorf("writing %s: %w", file, err)
			}
		}
	}
	return nil
}
