package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/spec"
	"github.com/lumper/lumper/pkg/volume"
)

// VolumeRef is one volume a container mounts, as recorded in its
// lumper.io/volumes label.
type VolumeRef struct {
	Name        string `json:"Name"`
	Destination string `json:"Destination"`
	Anonymous   bool   `json:"Anonymous,omitempty"`
	RW          bool   `json:"RW"`
}

// Volumes is a container's volumes, from its labels.
func Volumes(labels map[string]string) []VolumeRef {
	var refs []VolumeRef
	if v := labels[client.LabelVolumes]; v != "" {
		_ = json.Unmarshal([]byte(v), &refs)
	}
	return refs
}

// VolumeStore is the data root's volume store.
func VolumeStore(c *client.Client) *volume.Store { return volume.NewStore(c.DataRoot) }

// preparedVolumes are the volumes a create is mounting.
type preparedVolumes struct {
	store   *volume.Store
	refs    []VolumeRef
	mounts  []spec.Mount // parallel to refs
	created []string     // volumes this create made (removed again if it fails)
	unlock  func()
}

// prepareVolumes creates the volumes ms name (or new anonymous ones) under
// the store's lock, which it keeps until done is called: a `volume rm`
// meanwhile would not see the container that is about to use them.
func prepareVolumes(c *client.Client, ms []spec.Mount) (*preparedVolumes, []oci.SpecOpts, error) {
	pv := &preparedVolumes{store: VolumeStore(c), unlock: func() {}}
	var ocis []specs.Mount
	for _, m := range ms {
		if m.Type != spec.TypeVolume {
			continue
		}
		if len(pv.refs) == 0 {
			unlock, err := pv.store.Lock()
			if err != nil {
				return nil, nil, err
			}
			pv.unlock = unlock
		}
		name, anon := m.Source, m.Source == ""
		if anon {
			name = volume.NewAnonymousName()
		}
		v, created, err := pv.store.Create(name, m.VolumeLabels, anon)
		if err != nil {
			pv.fail()
			return nil, nil, err
		}
		if created {
			pv.created = append(pv.created, name)
		}
		// v.Anonymous: a volume taken over by --volumes-from stays anonymous.
		pv.refs = append(pv.refs, VolumeRef{Name: name, Destination: m.Destination, Anonymous: v.Anonymous, RW: !m.ReadOnly})
		pv.mounts = append(pv.mounts, m)
		ocis = append(ocis, spec.VolumeOCI(m, v.Mountpoint))
	}
	if len(ocis) == 0 {
		return pv, nil, nil
	}
	return pv, []oci.SpecOpts{oci.WithMounts(ocis)}, nil
}

// label is the container label that records the volumes.
func (pv *preparedVolumes) label(labels map[string]string) {
	if len(pv.refs) == 0 {
		return
	}
	b, _ := json.Marshal(pv.refs)
	labels[client.LabelVolumes] = string(b)
}

// fail removes the volumes this create made, and unlocks.
func (pv *preparedVolumes) fail() {
	for _, name := range pv.created {
		_ = pv.store.Remove(name)
	}
	pv.created = nil
	pv.done()
}

func (pv *preparedVolumes) done() {
	pv.unlock()
	pv.unlock = func() {}
}

// copyUp fills the empty volumes of a new container from its image's
// content at their mount points (Docker's copy-up), reading the
// container's snapshot mounted on a temporary directory.
func (pv *preparedVolumes) copyUp(ctx context.Context, c *client.Client, id string) error {
	var todo []int
	for i, m := range pv.mounts {
		if m.NoCopy {
			continue
		}
		empty, err := pv.store.IsEmpty(pv.refs[i].Name)
		if err != nil {
			return fmt.Errorf("reading volume %s: %w", pv.refs[i].Name, err)
		}
		if empty {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	root, cleanup, err := mountSnapshot(ctx, c, c.Snapshotter, id)
	if err != nil {
		return err
	}
	defer cleanup()
	for _, i := range todo {
		src, err := securejoin.SecureJoin(root, pv.refs[i].Destination)
		if err != nil {
			return fmt.Errorf("resolving %s in the image: %w", pv.refs[i].Destination, err)
		}
		if err := pv.store.CopyUp(pv.refs[i].Name, src); err != nil {
			return err
		}
	}
	return nil
}

// mountSnapshot mounts a snapshot read-only on a temporary directory.
func mountSnapshot(ctx context.Context, c *client.Client, snapshotter, key string) (string, func(), error) {
	mounts, err := c.SnapshotService(snapshotter).Mounts(ctx, key)
	if err != nil {
		return "", nil, fmt.Errorf("reading the mounts of snapshot %s: %w", client.ShortID(key), err)
	}
	for i := range mounts {
		mounts[i].Options = append(slices.DeleteFunc(slices.Clone(mounts[i].Options), func(o string) bool { return o == "rw" }), "ro")
	}
	dir, err := os.MkdirTemp("", "lumper-volume-")
	if err != nil {
		return "", nil, fmt.Errorf("creating a mount point: %w", err)
	}
	if err := mount.All(mounts, dir); err != nil {
		os.Remove(dir)
		return "", nil, fmt.Errorf("mounting snapshot %s: %w", client.ShortID(key), err)
	}
	return dir, func() {
		if err := mount.UnmountAll(dir, 0); err != nil {
			log.G(ctx).WithError(err).Warn("unmounting container snapshot")
			return
		}
		os.Remove(dir)
	}, nil
}

// VolumeUser is a container that mounts a volume, with its namespace.
type VolumeUser struct {
	Namespace string
	ID        string
	Name      string
}

// VolumeUsers returns, by volume name, the containers that mount each
// volume, in every namespace of this containerd: volumes belong to the
// data root, which all namespaces share.
func VolumeUsers(ctx context.Context, c *client.Client) (map[string][]VolumeUser, error) {
	nss, err := c.NamespaceService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	if cur, ok := namespaces.Namespace(ctx); ok && !slices.Contains(nss, cur) {
		nss = append(nss, cur)
	}
	out := map[string][]VolumeUser{}
	for _, ns := range nss {
		ctrs, err := c.ContainerService().List(namespaces.WithNamespace(ctx, ns), "labels."+strconv.Quote(client.LabelVolumes))
		if err != nil {
			return nil, fmt.Errorf("listing containers in namespace %q: %w", ns, err)
		}
		for _, ctr := range ctrs {
			for _, r := range Volumes(ctr.Labels) {
				out[r.Name] = append(out[r.Name], VolumeUser{Namespace: ns, ID: ctr.ID, Name: ctr.Labels[client.LabelName]})
			}
		}
	}
	return out, nil
}

// VolumeInUseError is a volume that a container still mounts.
type VolumeInUseError struct {
	Name string
	User VolumeUser
}

func (e *VolumeInUseError) Error() string {
	ref := client.ShortID(e.User.ID)
	if e.User.Name != "" {
		ref = e.User.Name + " (" + ref + ")"
	}
	return fmt.Sprintf("remove %s: volume is in use - [%s] in namespace %q", e.Name, ref, e.User.Namespace)
}

// RemoveVolume removes a volume no container uses. With force a missing
// volume is no error (Docker's volume rm -f); one in use is still refused.
func RemoveVolume(ctx context.Context, c *client.Client, name string, force bool) error {
	s := VolumeStore(c)
	unlock, err := s.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.Get(name); err != nil {
		if force && volume.IsNotFound(err) {
			return nil
		}
		return err
	}
	users, err := VolumeUsers(ctx, c)
	if err != nil {
		return err
	}
	if u := users[name]; len(u) > 0 {
		return &VolumeInUseError{Name: name, User: u[0]}
	}
	return s.Remove(name)
}

// RemoveAnonymousVolumes removes the anonymous volumes a removed container
// had (rm -v, run --rm), but not one another container still mounts.
func RemoveAnonymousVolumes(ctx context.Context, c *client.Client, labels map[string]string) error {
	var anon []string
	for _, r := range Volumes(labels) {
		if r.Anonymous {
			anon = append(anon, r.Name)
		}
	}
	if len(anon) == 0 {
		return nil
	}
	var errs []error
	for _, name := range anon {
		var inUse *VolumeInUseError
		if err := RemoveVolume(ctx, c, name, true); err != nil && !errors.As(err, &inUse) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeAutoContainer removes a container that lumper removes on its own
// (run --rm, a failed run): with its anonymous volumes, as Docker does.
func removeAutoContainer(ctx context.Context, c *client.Client, ctr containerd.Container) error {
	info, err := ctr.Info(ctx, containerd.WithoutRefreshedMetadata)
	if err := removeContainer(ctx, c, ctr); err != nil {
		return err
	}
	if err == nil {
		if err := RemoveAnonymousVolumes(ctx, c, info.Labels); err != nil {
			log.G(ctx).WithError(err).Warn("removing anonymous volumes")
		}
	}
	return nil
}

// VolumeSummary is a volume with what lumper knows about it: the
// containers that use it (in every namespace) and, when asked, its size.
type VolumeSummary struct {
	*volume.Volume
	Users []VolumeUser
	Size  int64 // -1: not computed
}

// ListVolumes returns every volume with its users; sizes only when asked.
func ListVolumes(ctx context.Context, c *client.Client, size bool) ([]VolumeSummary, error) {
	vols, err := VolumeStore(c).List()
	if err != nil {
		return nil, err
	}
	users, err := VolumeUsers(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]VolumeSummary, 0, len(vols))
	for _, v := range vols {
		s := VolumeSummary{Volume: v, Users: users[v.Name], Size: -1}
		if size {
			s.Size = VolumeStore(c).Size(v.Name)
		}
		out = append(out, s)
	}
	return out, nil
}

// PruneVolumes removes the volumes no container uses: anonymous ones only,
// or all with all (Docker 23's volume prune and its -a). Labels filter
// (label=K[=V], label!=K[=V]) as Docker's --filter label.
func PruneVolumes(ctx context.Context, c *client.Client, all bool, keep func(*volume.Volume) bool) (api.PruneReport, error) {
	var rep api.PruneReport
	s := VolumeStore(c)
	unlock, err := s.Lock()
	if err != nil {
		return rep, err
	}
	defer unlock()
	vols, err := s.List()
	if err != nil {
		return rep, err
	}
	users, err := VolumeUsers(ctx, c)
	if err != nil {
		return rep, err
	}
	for _, v := range vols {
		if len(users[v.Name]) > 0 || (!all && !v.Anonymous) || (keep != nil && keep(v)) {
			continue
		}
		size := s.Size(v.Name)
		if err := s.Remove(v.Name); err != nil {
			return rep, err
		}
		rep.Deleted = append(rep.Deleted, v.Name)
		rep.SpaceReclaimed += size
	}
	return rep, nil
}

// volumeOfMount finds the volume mounted at a destination.
func volumeOfMount(refs []VolumeRef, dst string) (VolumeRef, bool) {
	for _, r := range refs {
		if r.Destination == dst {
			return r, true
		}
	}
	return VolumeRef{}, false
}

// markVolumes shows the bind mounts of volumes as Docker's volume mounts.
func markVolumes(ms []api.MountPoint, refs []VolumeRef) []api.MountPoint {
	for i, m := range ms {
		if r, ok := volumeOfMount(refs, m.Destination); ok && m.Type == "bind" {
			ms[i] = api.MountPoint{Type: spec.TypeVolume, Name: r.Name, Source: m.Source, Destination: m.Destination, Driver: volume.Driver, RW: m.RW}
		}
	}
	return ms
}

// VolumesFrom is one --volumes-from value.
type VolumesFrom struct {
	Container string
	Mode      string // "", "ro" or "rw": "" keeps each mount's own
}

// ParseVolumesFrom parses CONTAINER[:ro|rw].
func ParseVolumesFrom(s string) (VolumesFrom, error) {
	ref, mode, _ := strings.Cut(s, ":")
	if ref == "" || (mode != "" && mode != "ro" && mode != "rw") {
		return VolumesFrom{}, api.Invalidf("invalid --volumes-from %q: use CONTAINER[:ro|rw]", s)
	}
	return VolumesFrom{Container: ref, Mode: mode}, nil
}

// volumesFrom reads the volumes and bind mounts of the --volumes-from
// containers: volumes as volume mounts (never filled again), binds as
// spec options. Destinations the user's own mounts take are left out.
func volumesFrom(ctx context.Context, c *client.Client, refs []string, own []spec.Mount) ([]spec.Mount, []oci.SpecOpts, error) {
	taken := map[string]bool{}
	for _, m := range own {
		taken[m.Destination] = true
	}
	var vols []spec.Mount
	var binds []specs.Mount
	for _, s := range refs {
		vf, err := ParseVolumesFrom(s)
		if err != nil {
			return nil, nil, err
		}
		rec, err := c.Container(ctx, vf.Container)
		if err != nil {
			if errdefs.IsNotFound(err) {
				return nil, nil, api.Invalidf("invalid --volumes-from: no such container: %s", vf.Container)
			}
			return nil, nil, err
		}
		var sp specs.Spec
		if rec.Spec != nil {
			if err := json.Unmarshal(rec.Spec.GetValue(), &sp); err != nil {
				return nil, nil, fmt.Errorf("reading the spec of %s: %w", vf.Container, err)
			}
		}
		refs := Volumes(rec.Labels)
		for _, mp := range markVolumes(userMounts(sp.Mounts, ContainerDir(c, rec.ID)), refs) {
			if taken[mp.Destination] || (mp.Type != "bind" && mp.Type != spec.TypeVolume) || slices.Contains(filesMounts, mp.Destination) {
				continue
			}
			taken[mp.Destination] = true
			ro := !mp.RW
			switch vf.Mode {
			case "ro":
				ro = true
			case "rw":
				ro = false
			}
			if mp.Type == spec.TypeVolume {
				vols = append(vols, spec.Mount{Source: mp.Name, Destination: mp.Destination, Type: spec.TypeVolume, ReadOnly: ro, NoCopy: true})
				continue
			}
			mode := "rw"
			if ro {
				mode = "ro"
			}
			binds = append(binds, specs.Mount{Destination: mp.Destination, Type: "bind", Source: mp.Source, Options: []string{"rbind", mp.Propagation, mode}})
		}
	}
	if len(binds) == 0 {
		return vols, nil, nil
	}
	return vols, []oci.SpecOpts{oci.WithMounts(binds)}, nil
}
