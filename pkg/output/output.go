// Package output draws lists of results as a table, JSON lines, a Go
// template or bare IDs (-q), the same way for every list command.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
)

// Column is one column of a table.
type Column[T any] struct {
	Header string
	Value  func(T) string
}

// Options say how to draw.
type Options struct {
	Format string // "", "table", "json", or a Go template
	Quiet  bool   // IDs only
}

// Print writes rows to w according to o.
func Print[T any](w io.Writer, o Options, rows []T, cols []Column[T], id func(T) string) error {
	switch {
	case o.Quiet:
		for _, r := range rows {
			if _, err := fmt.Fprintln(w, id(r)); err != nil {
				return err
			}
		}
		return nil
	case o.Format == "" || o.Format == "table":
		tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
		headers := make([]string, len(cols))
		for i, c := range cols {
			headers[i] = c.Header
		}
		fmt.Fprintln(tw, strings.Join(headers, "\t"))
		vals := make([]string, len(cols))
		for _, r := range rows {
			for i, c := range cols {
				vals[i] = c.Value(r)
			}
			fmt.Fprintln(tw, strings.Join(vals, "\t"))
		}
		return tw.Flush()
	case o.Format == "json":
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	default:
		tmpl, err := Template(o.Format)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := tmpl.Execute(w, r); err != nil {
				return fmt.Errorf("executing --format template: %w", err)
			}
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		return nil
	}
}

// Validate checks a --format value before anything is done: "", "table"
// and "json" are built in, anything else must parse as a Go template.
func Validate(format string) error {
	if format == "" || format == "table" || format == "json" {
		return nil
	}
	_, err := Template(format)
	return err
}

// Template parses a --format Go template, with Docker's helper functions.
func Template(format string) (*template.Template, error) {
	tmpl, err := template.New("format").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"join":  strings.Join,
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
		"title": func(s string) string {
			if s == "" {
				return s
			}
			return strings.ToUpper(s[:1]) + s[1:]
		},
	}).Parse(format)
	if err != nil {
		return nil, fmt.Errorf("invalid --format template: %w", err)
	}
	return tmpl, nil
}
