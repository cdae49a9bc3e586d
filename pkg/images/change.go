package images

import (
	"encoding/json"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lumper/lumper/pkg/api"
)

// ApplyChanges applies Dockerfile-style instructions (`--change`) to an image
// config: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL.
func ApplyChanges(cfg *ocispec.ImageConfig, changes []string) error {
	for _, ch := range changes {
		ch = strings.TrimSpace(ch)
		op, rest, _ := strings.Cut(ch, " ")
		rest = strings.TrimSpace(rest)
		if rest == "" {
			return api.Invalidf("invalid --change %q: expected INSTRUCTION ARGUMENTS, e.g. 'CMD [\"sh\"]'", ch)
		}
		switch strings.ToUpper(op) {
		case "CMD":
			cfg.Cmd = parseExecForm(rest)
		case "ENTRYPOINT":
			cfg.Entrypoint = parseExecForm(rest)
		case "WORKDIR":
			if !strings.HasPrefix(rest, "/") {
				return api.Invalidf("invalid --change %q: WORKDIR must be an absolute path", ch)
			}
			cfg.WorkingDir = rest
		case "USER":
			cfg.User = rest
		case "STOPSIGNAL":
			cfg.StopSignal = rest
		case "ENV":
			kvs, err := parseKVs(ch, rest)
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				cfg.Env = setEnv(cfg.Env, kv[0], kv[1])
			}
		case "LABEL":
			kvs, err := parseKVs(ch, rest)
			if err != nil {
				return err
			}
			if cfg.Labels == nil {
				cfg.Labels = map[string]string{}
			}
			for _, kv := range kvs {
				cfg.Labels[kv[0]] = kv[1]
			}
		case "EXPOSE":
			if cfg.ExposedPorts == nil {
				cfg.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range strings.Fields(rest) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				cfg.ExposedPorts[p] = struct{}{}
			}
		default:
			return api.Invalidf("invalid --change %q: %s is not supported (use CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE or STOPSIGNAL)", ch, op)
		}
	}
	return nil
}

// parseExecForm reads `["a","b"]` (exec form) or `a b` (shell form, run by
// /bin/sh -c), as a Dockerfile does.
func parseExecForm(s string) []string {
	if strings.HasPrefix(s, "[") {
		var args []string
		if err := json.Unmarshal([]byte(s), &args); err == nil {
			return args
		}
	}
	return []string{"/bin/sh", "-c", s}
}

func parseKVs(ch, rest string) ([][2]string, error) {
	if !strings.Contains(rest, "=") {
		// Legacy form: ENV KEY VALUE...
		k, v, _ := strings.Cut(rest, " ")
		return [][2]string{{k, strings.TrimSpace(v)}}, nil
	}
	var out [][2]string
	for _, f := range strings.Fields(rest) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, api.Invalidf("invalid --change %q: expected KEY=VALUE pairs", ch)
		}
		out = append(out, [2]string{k, strings.Trim(v, `"`)})
	}
	return out, nil
}

func setEnv(env []string, k, v string) []string {
	for i, e := range env {
		if strings.HasPrefix(e, k+"=") {
			env[i] = k + "=" + v
			return env
		}
	}
	return append(env, k+"="+v)
}
