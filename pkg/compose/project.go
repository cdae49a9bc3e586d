// Package compose runs a Compose project (the compose specification, loaded
// by compose-go) on lumper's own container, network and volume code. Its
// state is the containers', networks' and volumes' labels, named as Docker
// Compose names them; there is no other record of a project.
package compose

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/lumper/lumper/pkg/api"
)

// Docker Compose's labels, which lumper sets and reads the same way.
const (
	LabelProject     = "com.docker.compose.project"
	LabelService     = "com.docker.compose.service"
	LabelNumber      = "com.docker.compose.container-number"
	LabelOneOff      = "com.docker.compose.oneoff"
	LabelWorkingDir  = "com.docker.compose.project.working_dir"
	LabelConfigFiles = "com.docker.compose.project.config_files"
	LabelConfigHash  = "com.docker.compose.config-hash"
	LabelDependsOn   = "com.docker.compose.depends_on"
	LabelNetwork     = "com.docker.compose.network"
	LabelVolume      = "com.docker.compose.volume"
)

// LoadOptions locate a project: its files (-f; none: compose.yaml and the
// other default names, or COMPOSE_FILE), its name (-p; none:
// COMPOSE_PROJECT_NAME, the file's name: or the directory), its
// directory, .env files and profiles (none: COMPOSE_PROFILES).
type LoadOptions struct {
	Files      []string
	Name       string
	ProjectDir string
	EnvFiles   []string
	Profiles   []string
}

// Load reads, merges and interpolates the project's files with compose-go
// (.env, environment, profiles, extends, overrides), resolves each
// service's env_file into its environment, and refuses what lumper cannot
// honour (Check). The error is one line.
func Load(ctx context.Context, o LoadOptions) (*types.Project, error) {
	opts, err := cli.NewProjectOptions(o.Files,
		cli.WithWorkingDirectory(o.ProjectDir),
		cli.WithOsEnv,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithName(o.Name),
		cli.WithDefaultProfiles(o.Profiles...),
	)
	if err != nil {
		return nil, api.Invalidf("compose: %v", err)
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, api.Invalidf("compose: %v", err)
	}
	if p, err = p.WithServicesEnvironmentResolved(true); err != nil {
		return nil, api.Invalidf("compose: %v", err)
	}
	if err := Check(p); err != nil {
		return nil, err
	}
	return p, nil
}

// ContainerName is the name of a service's container number n, as Docker
// Compose names it (container_name when the service sets one).
func ContainerName(p *types.Project, s types.ServiceConfig, n int) string {
	if s.ContainerName != "" {
		return s.ContainerName
	}
	return p.Name + "-" + s.Name + "-" + strconv.Itoa(n)
}

// NetworkName is the lumper network of the project's network key.
func NetworkName(p *types.Project, key string) string {
	if n, ok := p.Networks[key]; ok && n.Name != "" {
		return n.Name
	}
	return p.Name + "_" + key
}

// VolumeName is the lumper volume of the project's volume key.
func VolumeName(p *types.Project, key string) string {
	if v, ok := p.Volumes[key]; ok && v.Name != "" {
		return v.Name
	}
	return p.Name + "_" + key
}

// ServiceNetwork is one network a service's containers join, and the
// names they answer to there besides their own.
type ServiceNetwork struct {
	Name    string // lumper's network name
	Aliases []string
}

// ServiceNetworks are the networks of a service, in the order they are
// joined (the first at create); network_mode host, none or bridge gives
// that one network without aliases.
func ServiceNetworks(p *types.Project, s types.ServiceConfig) []ServiceNetwork {
	if s.NetworkMode != "" {
		return []ServiceNetwork{{Name: s.NetworkMode}}
	}
	keys := slices.Collect(maps.Keys(s.Networks))
	// Highest priority first, then by name, as Docker Compose orders them.
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(prio(s.Networks[b]), prio(s.Networks[a])); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	if len(keys) == 0 {
		keys = []string{"default"}
	}
	out := make([]ServiceNetwork, 0, len(keys))
	for _, k := range keys {
		aliases := []string{s.Name}
		if c := s.Networks[k]; c != nil {
			aliases = append(aliases, c.Aliases...)
		}
		out = append(out, ServiceNetwork{Name: NetworkName(p, k), Aliases: aliases})
	}
	return out
}

func prio(c *types.ServiceNetworkConfig) int {
	if c == nil {
		return 0
	}
	return c.Priority
}

// ConfigHash is the hash of a service's configuration that decides whether
// `up` recreates its containers: the service without its scale.
func ConfigHash(s types.ServiceConfig) string {
	s.Scale = nil
	if s.Deploy != nil {
		d := *s.Deploy
		d.Replicas = nil
		s.Deploy = &d
	}
	b, _ := json.Marshal(s)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Labels are the labels of a service's container number n.
func Labels(p *types.Project, s types.ServiceConfig, n int, oneOff bool) map[string]string {
	l := map[string]string{
		LabelProject:     p.Name,
		LabelService:     s.Name,
		LabelNumber:      strconv.Itoa(n),
		LabelOneOff:      "False",
		LabelWorkingDir:  p.WorkingDir,
		LabelConfigFiles: strings.Join(p.ComposeFiles, ","),
		LabelConfigHash:  ConfigHash(s),
	}
	if oneOff {
		l[LabelOneOff] = "True"
	}
	var deps []string
	for _, name := range sortedDeps(s) {
		d := s.DependsOn[name]
		deps = append(deps, fmt.Sprintf("%s:%s:%t", name, d.Condition, d.Restart))
	}
	if len(deps) > 0 {
		l[LabelDependsOn] = strings.Join(deps, ",")
	}
	return l
}

func sortedDeps(s types.ServiceConfig) []string {
	return slices.Sorted(maps.Keys(s.DependsOn))
}
