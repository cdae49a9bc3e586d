package spec

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/lumper/lumper/pkg/api"
)

// reservedLabelPrefixes mark labels that are lumper's or containerd's own,
// never a user's (see client.UserLabels).
var reservedLabelPrefixes = []string{"lumper.io/", "containerd.io/", "io.containerd."}

// ReservedLabel reports whether key belongs to lumper or containerd.
func ReservedLabel(key string) bool {
	for _, p := range reservedLabelPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// ParseLabels builds the labels of --label-file FILE and --label KEY[=VALUE]
// flags, as Docker: files first, in order, then the flags; a later value of
// a key replaces an earlier one; KEY alone is an empty value. Label files
// hold KEY[=VALUE] lines, blank lines and # comments.
func ParseLabels(kvs []string, files []string) (map[string]string, error) {
	labels := map[string]string{}
	set := func(kv, where string) error {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case strings.TrimSpace(k) == "":
			return api.Invalidf("invalid label %q%s: the key is empty", kv, where)
		case ReservedLabel(k):
			return api.Invalidf("invalid label %q%s: keys starting with %s are reserved for lumper and containerd", kv, where, strings.Join(reservedLabelPrefixes, ", "))
		case len(k)+len(v) > 4096:
			return api.Invalidf("invalid label %q%s: key and value are longer than containerd's 4096 bytes", k, where)
		}
		labels[k] = v
		return nil
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, api.Invalidf("invalid --label-file: %v", err)
		}
		sc := bufio.NewScanner(fh)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if err := set(line, fmt.Sprintf(" in %s line %d", f, n)); err != nil {
				fh.Close()
				return nil, err
			}
		}
		err = sc.Err()
		fh.Close()
		if err != nil {
			return nil, api.Invalidf("invalid --label-file %s: %v", f, err)
		}
	}
	for _, kv := range kvs {
		if err := set(kv, ""); err != nil {
			return nil, err
		}
	}
	return labels, nil
}
