// Package output draws lists of results as a table, JSON lines, a Go
// template or bare IDs (-q), the same way for every list command, with
// Docker's --format rules: "json", "table", "table TEMPLATE" (a table with
// a header) and Docker's template functions.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"text/tabwriter"
	"text/template"
	"unicode"
)

// Column is one column of a table.
type Column[T any] struct {
	Header string
	Value  func(T) string
}

// Options say how to draw.
type Options struct {
	Format string // "", "table", "json", "table TEMPLATE", or a Go template
	Quiet  bool   // IDs only
}

// tableKey starts a --format that draws a table with a header.
const tableKey = "table"

// IsTable reports whether format asks for a table ("", "table" or "table
// TEMPLATE").
func IsTable(format string) bool {
	return format == "" || format == tableKey || strings.HasPrefix(format, tableKey+" ")
}

// Print writes rows to w according to o. Its table is drawn from cols; a
// "table TEMPLATE" format gets a header made of the template's field names
// in capitals.
func Print[T any](w io.Writer, o Options, rows []T, cols []Column[T], id func(T) string) error {
	switch {
	case o.Quiet:
		for _, r := range rows {
			if _, err := fmt.Fprintln(w, id(r)); err != nil {
				return err
			}
		}
		return nil
	case o.Format == "" || o.Format == tableKey:
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
		for _, r := range rows {
			if err := writeJSON(w, r); err != nil {
				return err
			}
		}
		return nil
	default:
		var header any
		if IsTable(o.Format) {
			header = fieldHeader(o.Format)
		}
		return execute(w, o.Format, header, rows)
	}
}

// Render draws view rows Docker's way: format "" or "table" is
// defaultTable (a "table ..." template), "json" one JSON object per line,
// "table TEMPLATE" a table whose header is TEMPLATE run over header (a row
// whose fields hold the column titles), anything else a template run once
// per row. quiet prints id of each row instead.
func Render[T any](w io.Writer, format, defaultTable string, header T, rows []T, quiet bool, id func(T) string) error {
	switch {
	case quiet:
		for _, r := range rows {
			if _, err := fmt.Fprintln(w, id(r)); err != nil {
				return err
			}
		}
		return nil
	case format == "json":
		for _, r := range rows {
			if err := writeJSON(w, r); err != nil {
				return err
			}
		}
		return nil
	case format == "" || format == tableKey:
		format = defaultTable
	}
	var h any
	if IsTable(format) {
		h = header
	}
	return execute(w, format, h, rows)
}

// execute runs a --format template over rows, in a table (tab-separated
// cells aligned, header first) when header is not nil.
func execute[T any](w io.Writer, format string, header any, rows []T) error {
	table := IsTable(format)
	body := templateText(format)
	tmpl, err := Template(format)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if table && header != nil {
		ht, err := template.New("header").Funcs(headerFuncs).Parse(body)
		if err != nil {
			return fmt.Errorf("invalid --format template: %w", err)
		}
		if err := ht.Execute(&buf, header); err != nil {
			// A title the header row cannot give (Print's guessed
			// headers): draw the table without a header.
			buf.Reset()
		} else {
			buf.WriteString("\n")
		}
	}
	for _, r := range rows {
		if err := tmpl.Execute(&buf, r); err != nil {
			return fmt.Errorf("executing --format template: %w", err)
		}
		buf.WriteString("\n")
	}
	if !table {
		_, err := w.Write(buf.Bytes())
		return err
	}
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	if _, err := tw.Write(buf.Bytes()); err != nil {
		return err
	}
	return tw.Flush()
}

// fieldRE finds the fields a template names, for Print's table headers.
var fieldRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{\{[^}]*?\.([A-Za-z0-9_]+)[^}]*\}\}`) })

// fieldHeader is the header of a "table TEMPLATE" drawn by Print: a map
// from each field the template names to the field's name in capitals.
func fieldHeader(format string) map[string]string {
	h := map[string]string{}
	for _, m := range fieldRE().FindAllStringSubmatch(format, -1) {
		h[m[1]] = strings.ToUpper(m[1])
	}
	return h
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Validate checks a --format value before anything is done: "", "table"
// and "json" are built in, anything else must parse as a Go template
// (after "table ", if it starts with it).
func Validate(format string) error {
	if format == "" || format == tableKey || format == "json" {
		return nil
	}
	_, err := Template(format)
	return err
}

// templateText is the template of a --format value: without a leading
// "table ", with \t and \n written out turned into tabs and newlines, as
// Docker does.
func templateText(format string) string {
	if IsTable(format) {
		format = strings.TrimPrefix(format, tableKey)
	}
	if format != strings.TrimSpace(format) {
		format = strings.Trim(format, " ")
	}
	return strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
}

// Funcs are Docker's --format template functions (text/template's own,
// such as println and printf, come on top).
var Funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimSpace(b.String()), nil
	},
	"split":    strings.Split,
	"join":     strings.Join,
	"title":    title,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"pad":      pad,
	"truncate": truncate,
}

// headerFuncs draw a table's header: the functions leave the titles as
// they are, as Docker's do.
var headerFuncs = template.FuncMap{
	"json":     func(v string) string { return v },
	"split":    func(v, _ string) string { return v },
	"join":     func(v string, _ string) string { return v },
	"title":    func(v string) string { return v },
	"lower":    func(v string) string { return v },
	"upper":    func(v string) string { return v },
	"pad":      func(v string, _, _ int) string { return v },
	"truncate": func(v string, _ int) string { return v },
}

// title capitalises the first letter of every word, with strings.Title's
// rule (which Docker's title uses): a word starts after any character but a
// letter, a digit or '_'.
func title(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		sep := isSeparator(prev)
		prev = r
		if sep {
			return unicode.ToTitle(r)
		}
		return r
	}, s)
}

func isSeparator(r rune) bool {
	if r <= 0x7F {
		switch {
		case '0' <= r && r <= '9', 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', r == '_':
			return false
		}
		return true
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return false
	}
	return unicode.IsSpace(r)
}

// pad surrounds a non-empty s with spaces: prefix before, suffix after.
func pad(s string, prefix, suffix int) string {
	if s == "" {
		return s
	}
	return strings.Repeat(" ", prefix) + s + strings.Repeat(" ", suffix)
}

// truncate keeps the first n bytes of s.
func truncate(s string, n int) string {
	if n < 0 || len(s) <= n {
		return s
	}
	return s[:n]
}

// Template parses a --format Go template (after a leading "table "), with
// Docker's functions.
func Template(format string) (*template.Template, error) {
	tmpl, err := template.New("format").Funcs(Funcs).Parse(templateText(format))
	if err != nil {
		return nil, fmt.Errorf("invalid --format template: %w", err)
	}
	return tmpl, nil
}
