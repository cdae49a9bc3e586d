package compose

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/lumper/lumper/pkg/api"
)

// The keys lumper honours; anything else a file sets is refused by Check,
// never ignored. Nested keys are "parent.key".
var (
	serviceKeys = set("image", "command", "entrypoint", "environment", "env_file",
		"ports", "expose", "volumes", "tmpfs", "networks", "network_mode", "depends_on",
		"healthcheck", "restart", "deploy", "scale", "user", "working_dir", "hostname",
		"labels", "label_file", "init", "stop_signal", "stop_grace_period", "cap_add",
		"cap_drop", "privileged", "read_only", "ulimits", "extra_hosts", "dns",
		"container_name", "cpus", "cpu_shares", "cpuset", "mem_limit", "mem_reservation",
		"memswap_limit", "pids_limit", "oom_kill_disable", "shm_size", "sysctls",
		"security_opt", "group_add", "pid", "ipc", "platform", "pull_policy", "tty",
		"logging", "profiles", "devices", "devices.source", "devices.target", "devices.permissions",
		"deploy.replicas", "deploy.resources", "deploy.restart_policy",
		"deploy.resources.limits", "deploy.resources.reservations",
		"deploy.resources.limits.cpus", "deploy.resources.limits.memory",
		"deploy.resources.limits.pids", "deploy.resources.reservations.memory",
		"deploy.restart_policy.condition", "deploy.restart_policy.max_attempts",
		"healthcheck.test", "healthcheck.interval", "healthcheck.timeout",
		"healthcheck.retries", "healthcheck.start_period", "healthcheck.disable",
		"networks.aliases", "networks.priority",
		"ports.target", "ports.published", "ports.host_ip", "ports.protocol", "ports.mode",
		"ports.name", "ports.app_protocol",
		"volumes.type", "volumes.source", "volumes.target", "volumes.read_only",
		"volumes.bind", "volumes.volume", "volumes.tmpfs",
		"volumes.bind.create_host_path", "volumes.tmpfs.size",
		"depends_on.condition", "depends_on.restart", "depends_on.required",
		"logging.driver", "logging.options",
		"ulimits.single", "ulimits.soft", "ulimits.hard")
	networkKeys = set("name", "driver", "labels", "internal", "external", "attachable",
		"ipam", "ipam.driver", "ipam.config", "ipam.config.subnet", "ipam.config.gateway", "ipam.config.ip_range")
	volumeKeys = set("name", "driver", "labels", "external")
)

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// Check refuses, in one line, every key of the project that lumper cannot
// honour (build, secrets, configs, …) and values it cannot either.
func Check(p *types.Project) error {
	var bad []string
	for _, k := range []struct {
		key string
		n   int
	}{{"secrets", len(p.Secrets)}, {"configs", len(p.Configs)}, {"models", len(p.Models)}, {"jobs", len(p.Jobs)}} {
		if k.n > 0 {
			bad = append(bad, k.key)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		var keys []string
		walk(toMap(s), "", serviceKeys, &keys)
		keys = append(keys, serviceValues(s)...)
		if len(keys) > 0 {
			bad = append(bad, "service "+name+": "+strings.Join(dedup(keys), ", "))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Networks)) {
		n := p.Networks[name]
		var keys []string
		walk(toMap(n), "", networkKeys, &keys)
		if n.Driver != "" && n.Driver != "bridge" {
			keys = append(keys, "driver "+n.Driver)
		}
		if n.Ipam.Driver != "" && n.Ipam.Driver != "default" {
			keys = append(keys, "ipam.driver "+n.Ipam.Driver)
		}
		if len(n.Ipam.Config) > 1 {
			keys = append(keys, "ipam.config (more than one subnet)")
		}
		if len(keys) > 0 {
			bad = append(bad, "network "+name+": "+strings.Join(dedup(keys), ", "))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Volumes)) {
		v := p.Volumes[name]
		var keys []string
		walk(toMap(v), "", volumeKeys, &keys)
		if v.Driver != "" && v.Driver != "local" {
			keys = append(keys, "driver "+v.Driver)
		}
		if len(keys) > 0 {
			bad = append(bad, "volume "+name+": "+strings.Join(dedup(keys), ", "))
		}
	}
	if len(bad) > 0 {
		return api.Invalidf("compose file uses what lumper cannot honour: %s", strings.Join(bad, "; "))
	}
	return nil
}

// serviceValues names the values of allowed keys that lumper refuses.
func serviceValues(s types.ServiceConfig) []string {
	var bad []string
	switch s.NetworkMode {
	case "", "host", "none", "bridge":
	default:
		bad = append(bad, "network_mode "+s.NetworkMode)
	}
	switch s.PullPolicy {
	case "", "always", "missing", "never", "if_not_present":
	default:
		bad = append(bad, "pull_policy "+s.PullPolicy)
	}
	if s.Logging != nil {
		switch s.Logging.Driver {
		case "", "json-file", "local", "none":
		default:
			bad = append(bad, "logging.driver "+s.Logging.Driver)
		}
	}
	for _, v := range s.Volumes {
		switch v.Type {
		case types.VolumeTypeBind, types.VolumeTypeVolume, types.VolumeTypeTmpfs:
		default:
			bad = append(bad, "volumes.type "+v.Type)
		}
	}
	if s.ContainerName != "" && s.GetScale() > 1 {
		bad = append(bad, "container_name with scale > 1")
	}
	return bad
}

// toMap is v as JSON: the keys a file set (compose-go omits empty ones).
func toMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// walk adds to bad the keys of m (under prefix) that allowed lacks; lists
// of objects are walked element by element, maps of named objects
// (networks, depends_on, ulimits) by value.
func walk(m map[string]any, prefix string, allowed map[string]bool, bad *[]string) {
	for k, v := range m {
		key := prefix + k
		if isEmpty(v) {
			continue
		}
		if !allowed[key] {
			*bad = append(*bad, key)
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			if hasChildren(allowed, key) {
				if named[key] {
					for _, e := range v {
						if em, ok := e.(map[string]any); ok {
							walk(em, key+".", allowed, bad)
						}
					}
				} else {
					walk(v, key+".", allowed, bad)
				}
			}
		case []any:
			if !hasChildren(allowed, key) {
				continue
			}
			for _, e := range v {
				if em, ok := e.(map[string]any); ok {
					walk(em, key+".", allowed, bad)
				}
			}
		}
	}
}

// named are the maps whose keys are names (of networks, services, limits).
var named = set("networks", "depends_on", "ulimits")

func hasChildren(allowed map[string]bool, key string) bool {
	for k := range allowed {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case string:
		return v == ""
	case float64:
		return v == 0
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

func dedup(keys []string) []string {
	slices.Sort(keys)
	return slices.Compact(keys)
}
