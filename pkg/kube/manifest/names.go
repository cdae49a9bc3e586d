package manifest

import (
	"strconv"
	"strings"
)

// dnsLabel makes s a DNS-1123 label (RFC 1123: at most 63 lower-case
// letters, digits and '-', starting and ending with a letter or digit), as
// Kubernetes wants the names of pods, containers, volumes and services;
// fallback when nothing is left.
func dnsLabel(s, fallback string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	out := trimLabel(b.String(), 63, "-")
	if out == "" {
		return fallback
	}
	return out
}

// dnsSubdomain makes s a DNS-1123 subdomain (at most 253 characters,
// dot-separated labels), as a PersistentVolumeClaim's name.
func dnsSubdomain(s, fallback string) string {
	var parts []string
	for p := range strings.SplitSeq(s, ".") {
		if l := dnsLabel(p, ""); l != "" {
			parts = append(parts, l)
		}
	}
	out := strings.Trim(trimLabel(strings.Join(parts, "."), 253, "-."), ".")
	if out == "" {
		return fallback
	}
	return out
}

// trimLabel cuts s to max bytes and drops the cut characters from both ends.
func trimLabel(s string, max int, cut string) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.Trim(s, cut)
}

// isAlnum says whether r is an ASCII letter or digit.
func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// labelName makes s the name part of a label key or a label value: at most
// 63 characters of letters, digits, '-', '_' and '.', beginning and ending
// with a letter or digit (a value may be empty).
func labelName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if isAlnum(r) || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := b.String()
	if len(out) > 63 {
		out = out[:63]
	}
	return strings.TrimFunc(out, func(r rune) bool { return !isAlnum(r) })
}

// labelKey makes k a label key: [prefix/]name, the prefix a DNS subdomain
// of at most 253 characters; "" when nothing is left of the name.
func labelKey(k string) string {
	prefix, name, ok := strings.Cut(k, "/")
	if !ok {
		return labelName(k)
	}
	name = labelName(name)
	if name == "" {
		return ""
	}
	if prefix = dnsSubdomain(prefix, ""); prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// uniqueNames hands out names that are unique among those it gave.
type uniqueNames map[string]bool

// take returns name, or name-2, name-3... when it is taken, still a
// DNS-1123 label.
func (u uniqueNames) take(name string) string {
	n := name
	for i := 2; u[n]; i++ {
		suffix := "-" + strconv.Itoa(i)
		n = trimLabel(name, 63-len(suffix), "-") + suffix
	}
	u[n] = true
	return n
}
