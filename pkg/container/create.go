// Package container creates, runs, lists, stops and removes lumper's
// containers. Everything it knows about a container lives in containerd: the
// container record, its labels and its task.
package container

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/log"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/network"
	"github.com/lumper/lumper/pkg/spec"
)

// CreateOptions describe a container to create.
type CreateOptions struct {
	Image       string
	Args        []string // COMMAND [ARG...] after the image, may be empty
	Entrypoint  *string  // nil keeps the image's; "" clears it
	Name        string   // empty: a generated name
	Env         []string // KEY=VALUE, merged over the image's
	Workdir     string
	Hostname    string
	User        string
	TTY         bool
	Interactive bool
	Labels      map[string]string
	SpecOpts    []oci.SpecOpts // resource, mount and security options
	// Mounts are the user's mounts: missing bind sources are created as
	// directories (Docker does so) and removed again if creation fails.
	Mounts []spec.Mount
	// VolumesFrom are --volumes-from CONTAINER[:ro|rw]: that container's
	// volumes and bind mounts, where the user's own mounts leave room.
	VolumesFrom []string
	// Privileged is recorded for inspect and makes /sys/fs/cgroup writable;
	// the privileges themselves are in SpecOpts.
	Privileged bool
	// Network, published ports, DNS and extra hosts (see network.go).
	Network NetworkOptions
	// Restart is the restart policy (see ParseRestartPolicy); "" means no.
	Restart string
	// Log bounds the log files of detached starts; recorded so that a later
	// `start` (and the restart monitor) keeps the same rotation.
	Log LogOptions
	// Pull is the pull policy for the image: PullMissing ("" too),
	// PullAlways or PullNever; Puller pulls (nil: never).
	Pull   string
	Puller Puller
	// Platform (os/arch[/variant]) selects the image's content for another
	// platform than this host's; "" is the host's.
	Platform string
	// AutoRemove (run --rm -d) has the container removed when it exits:
	// recorded in a label that the reaper reads (ReapAndAutoRemove).
	AutoRemove bool

	// Expose adds ports to the image's EXPOSE ports ("80/tcp"), which -P
	// publishes.
	Expose []string
	// GroupAdd are supplementary groups (GIDs or names in the container's
	// /etc/group), added after --user's own.
	GroupAdd []string
	// PID and IPC are --pid and --ipc ("" for the default): recorded for
	// inspect, and "container:NAME" joins another running container's
	// namespace here ("host" and the rest are in SpecOpts).
	PID string
	IPC string
	// Sysctls are the user's --sysctl values, recorded for inspect (they
	// are in SpecOpts).
	Sysctls map[string]string
	// CIDFile is --cidfile (written by the command), recorded for inspect.
	CIDFile string
	// StopSignal overrides the image's STOPSIGNAL (a name such as SIGUSR1);
	// StopTimeout (seconds, nil: unset) is stop's grace period when -t is
	// not given.
	StopSignal  string
	StopTimeout *int
	// Health is run's health flags over the image's HEALTHCHECK (health.go).
	Health HealthOptions
	// Init runs lumper-init as the container's PID 1 (init.go).
	Init bool
	// Shim is spec.ShimGroup ("" too: share a group's shim) or
	// spec.ShimIsolated (a shim of its own); see shimgroup.go.
	Shim string
}

// maxCommandLabel bounds the command stored in a label.
const maxCommandLabel = 1024

// Create creates a container (with its snapshot and spec) but starts nothing.
// On any failure nothing is left behind: no container, no snapshot, and the
// name is free again.
func Create(ctx context.Context, c *client.Client, o CreateOptions) (_ containerd.Container, retErr error) {
	start := time.Now()
	trace := func(step string) { log.G(ctx).WithField("t", time.Since(start)).Debug(step) }
	created, err := spec.PrepareHostPaths(o.Mounts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			if err := spec.RemoveCreated(created); err != nil {
				log.G(ctx).WithError(err).Warn("removing host directories created for mounts")
			}
		}
	}()
	if o.Name != "" {
		if err := client.ValidateName(o.Name); err != nil {
			return nil, &api.InvalidArgument{Msg: err.Error()}
		}
	}
	var image containerd.Image
	if o.Platform == "" {
		img, err := resolveImage(ctx, c, o)
		if err != nil {
			return nil, err
		}
		if err := images.Unpack(ctx, c, img); err != nil {
			return nil, err
		}
		image = containerd.NewImage(c.Client, img)
	} else if image, err = resolvePlatformImage(ctx, c, o); err != nil {
		return nil, err
	}
	trace("image resolved and unpacked")
	cfg, err := image.Spec(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading config of image %s: %w", image.Name(), err)
	}
	args := processArgs(cfg.Config, o.Entrypoint, o.Args)
	if len(args) == 0 {
		return nil, api.Invalidf("no command specified: image %s has no CMD or ENTRYPOINT, give one after the image name", o.Image)
	}

	trace("image config read")
	id := client.NewID()
	name := o.Name
	// The name's lease also holds the snapshot while the container is being
	// created, so that a crash before the container is recorded leaves only
	// garbage for containerd's GC (the lease expires).
	var lctx context.Context
	if name == "" {
		if name, lctx, err = reserveGeneratedName(ctx, c, id); err != nil {
			return nil, err
		}
	} else if lctx, err = c.ReserveName(ctx, name, id); err != nil {
		if errors.Is(err, client.ErrNameInUse) {
			return nil, api.Invalidf("%v", err) // Docker's wording
		}
		return nil, err
	}
	defer func() {
		if retErr != nil {
			if err := c.ReleaseName(context.WithoutCancel(ctx), name); err != nil {
				log.G(ctx).WithError(err).Warn("releasing name after failed create")
			}
		}
	}()
	trace("name reserved")
	hostname := o.Hostname
	if hostname == "" {
		hostname = defaultHostname(id, o.Network.Network)
	}
	specOpts := []oci.SpecOpts{
		oci.WithImageConfig(image),
		oci.WithProcessArgs(args...),
		oci.WithHostname(hostname),
		oci.WithEnv([]string{"HOSTNAME=" + hostname}),
	}
	if len(o.Env) > 0 {
		specOpts = append(specOpts, oci.WithEnv(o.Env))
	}
	if o.Workdir != "" {
		specOpts = append(specOpts, oci.WithProcessCwd(o.Workdir))
	}
	if o.TTY {
		specOpts = append(specOpts, oci.WithTTY)
	}
	specOpts = append(specOpts, withCgroupMount(o.Privileged))
	specOpts = append(specOpts, o.SpecOpts...)
	joinOpts, err := joinNamespaces(ctx, c, o.PID, o.IPC)
	if err != nil {
		return nil, err
	}
	specOpts = append(specOpts, joinOpts...)
	netOpts, netLabels, err := prepareNetwork(ctx, c, id, withExposed(cfg.Config.ExposedPorts, o.Expose), o.Network)
	if err != nil {
		return nil, err
	}
	specOpts = append(specOpts, netOpts...)
	// Volumes: created (or found) under the volume lock, kept until the
	// container that names them in its labels exists and they are filled.
	fromVols, fromBinds, err := volumesFrom(ctx, c, o.VolumesFrom, o.Mounts)
	if err != nil {
		return nil, err
	}
	specOpts = append(specOpts, fromBinds...)
	vols, volOpts, err := prepareVolumes(c, append(slices.Clone(o.Mounts), fromVols...))
	if err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			vols.fail()
		} else {
			vols.done()
		}
	}()
	specOpts = append(specOpts, volOpts...)
	if o.User != "" {
		specOpts = append(specOpts, oci.WithUser(o.User), oci.WithAdditionalGIDs(o.User))
	}
	if len(o.GroupAdd) > 0 {
		specOpts = append(specOpts, oci.WithAppendAdditionalGroups(o.GroupAdd...))
	}
	if o.Init {
		initOpt, err := withInit()
		if err != nil {
			return nil, err
		}
		specOpts = append(specOpts, initOpt)
	}
	hc, err := containerHealth(ctx, image, o.Health)
	if err != nil {
		return nil, err
	}

	labels := map[string]string{
		client.LabelName:    name,
		client.LabelCommand: truncate(strings.Join(args, " "), maxCommandLabel),
		client.LabelImage:   o.Image,
		client.LabelLogPath: LogPath(c, id),
	}
	if o.TTY {
		labels[client.LabelTTY] = "true"
	}
	if o.Interactive {
		labels[client.LabelOpenStdin] = "true"
	}
	if o.Privileged {
		labels[client.LabelPrivileged] = "true"
	}
	if o.AutoRemove {
		labels[client.LabelAutoRemove] = "true"
	}
	runFlagLabels(labels, o)
	healthLabels(labels, hc)
	if o.Init {
		labels[client.LabelInit] = "true"
	}
	restartLabels(labels, o.Restart, o.Log)
	maps.Copy(labels, netLabels)
	vols.label(labels)
	client.SetUserLabels(labels, o.Labels)
	shimOpts, err := shimGroupOpts(ctx, c, o.Shim, labels)
	if err != nil {
		return nil, err
	}
	specOpts = append(specOpts, shimOpts...)
	ctr, err := c.NewContainer(lctx, id,
		containerd.WithImage(image),
		containerd.WithSnapshotter(c.Snapshotter),
		containerd.WithNewSnapshot(id, image),
		containerd.WithNewSpec(specOpts...),
		containerd.WithContainerLabels(labels),
		// After WithContainerLabels, which replaces every label: the
		// image's STOPSIGNAL, which stop reads back (GetStopSignal).
		containerd.WithImageStopSignal(image, "SIGTERM"),
		withStopSignal(o.StopSignal),
	)
	if err != nil {
		return nil, fmt.Errorf("creating container: %w", classifySpecError(err))
	}
	trace("container created")
	if err := vols.copyUp(lctx, c, id); err != nil {
		if derr := ctr.Delete(context.WithoutCancel(lctx), containerd.WithSnapshotCleanup); derr != nil {
			log.G(ctx).WithError(derr).Warn("removing container after failed volume copy")
		}
		return nil, err
	}
	return ctr, nil
}

// defaultHostname is a container's host name when --hostname is not given:
// the host's own on the host's network (as Docker), else the short ID.
func defaultHostname(id, netName string) string {
	if netName == network.Host {
		if h, err := os.Hostname(); err == nil && h != "" {
			return h
		}
	}
	return id[:12]
}

// processArgs applies Docker's rules for ENTRYPOINT and CMD.
func processArgs(cfg ocispec.ImageConfig, entrypoint *string, args []string) []string {
	var ep []string
	cmd := cfg.Cmd
	if entrypoint != nil {
		if *entrypoint != "" {
			ep = []string{*entrypoint}
		}
		cmd = nil // a new entrypoint drops the image's CMD, as in Docker
	} else {
		ep = cfg.Entrypoint
	}
	if len(args) > 0 {
		cmd = args
	}
	return append(append([]string{}, ep...), cmd...)
}

// classifySpecError turns spec errors caused by user input (e.g. an unknown
// --user) into InvalidArgument errors.
func classifySpecError(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "no users found") || strings.Contains(msg, "no groups found") {
		return &api.InvalidArgument{Msg: "invalid --user: " + msg}
	}
	return err
}

// LogPath is the container's log file under lumper's data root.
func LogPath(c *client.Client, id string) string {
	return filepath.Join(ContainerDir(c, id), "container.log")
}

// ContainerDir is the directory of lumper's files for one container.
func ContainerDir(c *client.Client, id string) string {
	return filepath.Join(c.DataRoot, c.Namespace, "containers", id)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// withCgroupMount shows the container its own cgroup at /sys/fs/cgroup, as
// Docker does (read-only unless privileged): containerd's default spec has
// no cgroup mount. runc mounts the container's own hierarchy on cgroup v1
// and v2 alike.
func withCgroupMount(privileged bool) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *oci.Spec) error {
		for _, m := range s.Mounts {
			if m.Destination == "/sys/fs/cgroup" {
				return nil
			}
		}
		mode := "ro"
		if privileged {
			mode = "rw"
		}
		s.Mounts = append(s.Mounts, specs.Mount{
			Destination: "/sys/fs/cgroup",
			Type:        "cgroup",
			Source:      "cgroup",
			Options:     []string{"nosuid", "noexec", "nodev", "relatime", mode},
		})
		return nil
	}
}
