package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/config"
	"github.com/lumper/lumper/pkg/logs"
	"github.com/lumper/lumper/pkg/spec"
)

// Sources of a setting, as `lumper info` shows them.
const (
	sourceFlag    = "flag"
	sourceFile    = "file"
	sourceDefault = "default"
)

// configState is the configuration file of one command tree and where each
// effective setting came from.
type configState struct {
	g        *GlobalOptions
	flagPath string // --config
	file     *config.File
	hosts    []string // registry host directories
	settings []api.Setting
}

// configs maps a command tree's GlobalOptions to its configuration (kept
// beside GlobalOptions so that root.go only calls installConfig).
var configs sync.Map // *GlobalOptions → *configState

func configOf(g *GlobalOptions) *configState {
	if v, ok := configs.Load(g); ok {
		return v.(*configState)
	}
	return nil
}

// installConfig adds --config and the info commands to the command tree and
// reads the configuration file before any command runs: every global flag
// not given on the command line whose environment variable is unset takes
// the file's value (flag > env > file > built-in default).
func installConfig(root *cobra.Command, g *GlobalOptions) {
	st := &configState{g: g}
	configs.Store(g, st)
	root.PersistentFlags().StringVar(&st.flagPath, "config", "", "configuration file (env LUMPER_CONFIG; default "+config.DefaultPath+")")
	prev, prevE := root.PersistentPreRun, root.PersistentPreRunE
	root.PersistentPreRun = nil
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if err := st.apply(cmd); err != nil {
			return err
		}
		if prevE != nil {
			return prevE(cmd, args)
		}
		if prev != nil {
			prev(cmd, args)
		}
		return nil
	}
	root.AddCommand(newInfoCmd(g))
	for _, c := range root.Commands() {
		if c.Name() == "system" {
			c.AddCommand(newInfoCmd(g))
		}
	}
}

// globalSetting is a global flag the configuration file may set.
type globalSetting struct {
	key  string   // key in the file
	flag string   // global flag
	env  []string // environment variables, in order of precedence
	file func(*config.File) (string, bool)
}

func str(p *string) (string, bool) {
	if p == nil {
		return "", false
	}
	return *p, true
}

var globalSettings = []globalSetting{
	{"address", "address", []string{"LUMPER_ADDRESS", "CONTAINERD_ADDRESS"}, func(f *config.File) (string, bool) { return str(f.Address) }},
	{"namespace", "namespace", []string{"LUMPER_NAMESPACE"}, func(f *config.File) (string, bool) { return str(f.Namespace) }},
	{"data_root", "data-root", []string{"LUMPER_DATA_ROOT"}, func(f *config.File) (string, bool) { return str(f.DataRoot) }},
	{"snapshotter", "snapshotter", []string{"LUMPER_SNAPSHOTTER"}, func(f *config.File) (string, bool) { return str(f.Snapshotter) }},
	{"cni_path", "cni-path", []string{"LUMPER_CNI_PATH"}, func(f *config.File) (string, bool) {
		return strings.Join(f.CNIPath, ":"), f.CNIPath != nil
	}},
	{"debug", "debug", nil, func(f *config.File) (string, bool) {
		if f.Debug == nil {
			return "", false
		}
		return fmt.Sprint(*f.Debug), true
	}},
}

// envSet names the first of keys that is set in the environment.
func envSet(keys []string) (string, string, bool) {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return k, v, true
		}
	}
	return "", "", false
}

// configPath is the file to read and whether it may be missing.
func (st *configState) configPath() (string, bool) {
	if st.flagPath != "" {
		return st.flagPath, false
	}
	if p := os.Getenv("LUMPER_CONFIG"); p != "" {
		return p, false
	}
	return config.DefaultPath, true
}

// apply reads the configuration file and fills in every setting the command
// line and the environment leave open.
func (st *configState) apply(cmd *cobra.Command) error {
	path, optional := st.configPath()
	f, err := config.Load(path, optional)
	if err != nil && cmd.Hidden {
		// The internal commands lumper-logger runs get every setting
		// they need as flags: a file edited since the container
		// started must not keep its exit from being recorded.
		f, err = &config.File{}, nil
	}
	if err != nil {
		return err
	}
	st.file = f
	st.settings = st.settings[:0]
	pf := cmd.Root().PersistentFlags()
	for _, s := range globalSettings {
		fl := pf.Lookup(s.flag)
		src := sourceDefault
		if fl.Changed {
			src = sourceFlag
		} else if k, _, ok := envSet(s.env); ok {
			src = "env " + k
		} else if v, ok := s.file(f); ok {
			if err := fl.Value.Set(v); err != nil {
				return f.Errorf(s.key, "%s: %v", s.key, err)
			}
			src = sourceFile
		}
		st.settings = append(st.settings, api.Setting{Key: s.key, Value: fl.Value.String(), Source: src})
	}

	// Lists: --insecure-registry replaces the file's list.
	src := sourceDefault
	if pf.Lookup("insecure-registry").Changed {
		src = sourceFlag
	} else if f.InsecureRegistries != nil {
		st.g.InsecureRegistries = append([]string(nil), f.InsecureRegistries...)
		src = sourceFile
	}
	st.settings = append(st.settings, api.Setting{Key: "insecure_registries", Value: strings.Join(st.g.InsecureRegistries, ","), Source: src})

	st.hosts, src = config.DefaultHostsDirs, sourceDefault
	if k, v, ok := envSet([]string{"LUMPER_HOSTS_DIR"}); ok {
		st.hosts, src = filepath.SplitList(v), "env "+k
	} else if f.HostsDir != nil {
		st.hosts, src = f.HostsDir, sourceFile
	}
	st.settings = append(st.settings, api.Setting{Key: "hosts_dir", Value: strings.Join(st.hosts, ","), Source: src})

	return st.applyRunDefaults(cmd, f)
}

// applyRunDefaults gives run and create the file's default network and log
// options when their flags are not given.
func (st *configState) applyRunDefaults(cmd *cobra.Command, f *config.File) error {
	network, netSrc := "bridge", sourceDefault
	if f.DefaultNetwork != nil {
		network, netSrc = *f.DefaultNetwork, sourceFile
	}
	var opts []string
	for _, k := range []string{"max-size", "max-file"} {
		if v, ok := f.LogOpts[k]; ok {
			opts = append(opts, k+"="+v)
		}
	}
	for k := range f.LogOpts {
		if k != "max-size" && k != "max-file" {
			return f.Errorf("log_opts", "log_opts: unknown log option %q (max-size, max-file)", k)
		}
	}
	if _, _, err := logs.ParseLogOpts(opts); err != nil {
		return f.Errorf("log_opts", "log_opts: %v", err)
	}
	logSrc := sourceDefault
	if len(opts) > 0 {
		logSrc = sourceFile
	}
	shim, shimSrc := spec.ShimGroup, sourceDefault
	if k, v, ok := envSet([]string{"LUMPER_SHIM"}); ok {
		shim, shimSrc = v, "env "+k
	} else if f.Shim != nil {
		shim, shimSrc = *f.Shim, sourceFile
	}
	if cmd.Name() == "run" || cmd.Name() == "create" {
		if fl := cmd.Flags().Lookup("shim"); fl != nil && fl.Changed {
			shim, shimSrc = fl.Value.String(), sourceFlag
		} else if fl != nil {
			_ = fl.Value.Set(shim)
		}
		fl, alias := cmd.Flags().Lookup("network"), cmd.Flags().Lookup("net")
		if fl != nil && (fl.Changed || alias != nil && alias.Changed) {
			network, netSrc = fl.Value.String(), sourceFlag
		} else if fl != nil && f.DefaultNetwork != nil {
			_ = fl.Value.Set(network)
		}
		if fl := cmd.Flags().Lookup("log-opt"); fl != nil && fl.Changed {
			logSrc = sourceFlag
			opts = nil
			if sv, ok := fl.Value.(pflag.SliceValue); ok {
				opts = sv.GetSlice()
			}
		} else if fl != nil {
			for _, o := range opts {
				_ = fl.Value.Set(o)
			}
		}
	}
	st.settings = append(st.settings,
		api.Setting{Key: "default_network", Value: network, Source: netSrc},
		api.Setting{Key: "log_opts", Value: strings.Join(opts, ","), Source: logSrc},
		api.Setting{Key: "shim", Value: shim, Source: shimSrc})
	return nil
}

// hostsDirs are the registry host configuration directories in effect.
func (g *GlobalOptions) hostsDirs() []string {
	if st := configOf(g); st != nil && st.hosts != nil {
		return st.hosts
	}
	if v := os.Getenv("LUMPER_HOSTS_DIR"); v != "" {
		return filepath.SplitList(v)
	}
	return config.DefaultHostsDirs
}
