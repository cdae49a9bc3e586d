// Package testimage builds a small busybox image from the host's static
// busybox, as a rootfs tarball, a `docker save` archive and an OCI archive.
//
// Builds are deterministic: every entry is owned by 0:0 and stamped with a
// fixed time, so the same busybox binary always gives byte-identical archives
// and therefore the same image ID.
package testimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	_ "crypto/sha256" // registers sha256 for go-digest
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const (
	// DefaultBusybox is Debian's busybox-static.
	DefaultBusybox = "/bin/busybox"
	// DefaultRef is the image name written into the archives.
	DefaultRef = "docker.io/library/busybox:latest"

	// annotationImageName is the index.json annotation containerd's
	// importer names the image after.
	annotationImageName = "io.containerd.image.name"
)

// Options say which busybox to use and how to name the image.
type Options struct {
	Busybox string // path of a static busybox; default DefaultBusybox
	Ref     string // image reference; default DefaultRef
	// Extra adds /data/random with this many pseudo-random (incompressible,
	// but reproducible) bytes, for benchmarks of big images.
	Extra int64
	// Layer, when set, is the image's only layer (an uncompressed tar)
	// instead of the busybox rootfs: tests build hostile images with it.
	Layer []byte
}

func (o Options) withDefaults() Options {
	if o.Busybox == "" {
		o.Busybox = DefaultBusybox
	}
	if o.Ref == "" {
		o.Ref = DefaultRef
	}
	return o
}

// epoch stamps every archive entry and the image config.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Rootfs writes a rootfs tarball (what `docker export` produces) to w.
func Rootfs(w io.Writer, o Options) error {
	o = o.withDefaults()
	bb, err := os.ReadFile(o.Busybox)
	if err != nil {
		return fmt.Errorf("reading busybox: %w", err)
	}
	if err := checkStatic(o.Busybox, bb); err != nil {
		return err
	}
	applets, err := listApplets(o.Busybox)
	if err != nil {
		return err
	}
	if err := writeRootfs(w, bb, applets, o.Extra); err != nil {
		return fmt.Errorf("writing rootfs: %w", err)
	}
	return nil
}

func writeRootfs(w io.Writer, bb []byte, applets []string, extra int64) error {
	tw := tar.NewWriter(w)
	hdr := func(typ byte, name string, mode int64) *tar.Header {
		return &tar.Header{Typeflag: typ, Name: name, Mode: mode, ModTime: epoch, Format: tar.FormatPAX}
	}
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(hdr(tar.TypeDir, name+"/", mode))
	}
	file := func(name string, mode int64, data []byte) error {
		h := hdr(tar.TypeReg, name, mode)
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}

	dirs := []struct {
		name string
		mode int64
	}{
		{"bin", 0o755}, {"dev", 0o755}, {"etc", 0o755}, {"home", 0o755},
		{"proc", 0o555}, {"root", 0o700}, {"sys", 0o555}, {"tmp", 0o1777},
		{"usr", 0o755}, {"usr/bin", 0o755}, {"var", 0o755},
	}
	for _, d := range dirs {
		if err := dir(d.name, d.mode); err != nil {
			return err
		}
	}
	if err := file("bin/busybox", 0o755, bb); err != nil {
		return err
	}
	for _, a := range applets {
		h := hdr(tar.TypeSymlink, "bin/"+a, 0o777)
		h.Linkname = "busybox"
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
	}
	etc := []struct{ name, data string }{
		{"etc/group", "root:x:0:\nnogroup:x:65534:\n"},
		{"etc/hostname", ""},
		{"etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
	}
	for _, f := range etc {
		if err := file(f.name, 0o644, []byte(f.data)); err != nil {
			return err
		}
	}
	if extra > 0 {
		if err := dir("data", 0o755); err != nil {
			return err
		}
		h := hdr(tar.TypeReg, "data/random", 0o644)
		h.Size = extra
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.CopyN(tw, rand.NewChaCha8([32]byte{}), extra); err != nil {
			return err
		}
	}
	return tw.Close()
}

// checkStatic refuses a dynamically linked busybox (Debian's plain
// "busybox" package), which would not run in an otherwise empty image.
func checkStatic(path string, bin []byte) error {
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return fmt.Errorf("reading busybox %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("busybox %s is dynamically linked; install busybox-static", path)
		}
	}
	return nil
}

// listApplets returns the sorted applet names busybox was built with, minus
// "busybox" itself.
func listApplets(busybox string) ([]string, error) {
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("listing busybox applets: %w", err)
	}
	var applets []string
	for _, a := range strings.Fields(string(out)) {
		if a == "busybox" || a == "." || a == ".." || strings.Contains(a, "/") {
			continue
		}
		applets = append(applets, a)
	}
	if len(applets) == 0 {
		return nil, errors.New("listing busybox applets: none listed")
	}
	slices.Sort(applets)
	return slices.Compact(applets), nil
}

// image is a built one-layer image.
type image struct {
	layer  []byte        // uncompressed tar
	diffID digest.Digest // digest of layer
	config []byte        // OCI image config JSON
}

func build(o Options) (image, error) {
	var buf bytes.Buffer
	if o.Layer != nil {
		buf.Write(o.Layer)
	} else if err := Rootfs(&buf, o); err != nil {
		return image{}, err
	}
	img := image{layer: buf.Bytes(), diffID: digest.FromBytes(buf.Bytes())}
	created := epoch
	cfg := ocispec.Image{
		Created:  &created,
		Platform: ocispec.Platform{Architecture: runtime.GOARCH, OS: "linux"},
		Config: ocispec.ImageConfig{
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd: []string{"sh"},
		},
		RootFS:  ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{img.diffID}},
		History: []ocispec.History{{Created: &created, CreatedBy: "lumper testimage: host static busybox"}},
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return image{}, fmt.Errorf("encoding image config: %w", err)
	}
	img.config = b
	return img, nil
}

// reference is an image name split the ways the archive formats need it.
type reference struct {
	full     string // docker.io/library/busybox:latest
	familiar string // busybox:latest
	repo     string // busybox (familiar, without the tag)
	tag      string // latest
}

// parseRef normalizes a tagged image reference the way Docker does: no
// domain means docker.io, and a one-component docker.io path lives under
// library/. A missing tag means latest; digest references are refused.
func parseRef(ref string) (reference, error) {
	if strings.Contains(ref, "@") {
		return reference{}, fmt.Errorf("image reference %q: digests are not supported", ref)
	}
	name, tag := ref, "latest"
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		name, tag = ref[:i], ref[i+1:]
	}
	if name == "" || tag == "" || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//") {
		return reference{}, fmt.Errorf("image reference %q: invalid", ref)
	}
	domain, path := "docker.io", name
	if first, rest, ok := strings.Cut(name, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		domain, path = first, rest
	}
	if domain == "docker.io" && !strings.Contains(path, "/") {
		path = "library/" + path
	}
	r := reference{full: domain + "/" + path + ":" + tag, tag: tag}
	r.repo = domain + "/" + path
	if domain == "docker.io" {
		r.repo = path
		if rest, ok := strings.CutPrefix(path, "library/"); ok && !strings.Contains(rest, "/") {
			r.repo = rest
		}
	}
	r.familiar = r.repo + ":" + tag
	return r, nil
}

// DockerArchive writes a `docker save` archive of the one-layer image to w:
// manifest.json, repositories, <config hex>.json and <layer id>/layer.tar
// (uncompressed) with the legacy <layer id>/VERSION and <layer id>/json.
func DockerArchive(w io.Writer, o Options) error {
	o = o.withDefaults()
	ref, err := parseRef(o.Ref)
	if err != nil {
		return err
	}
	img, err := build(o)
	if err != nil {
		return err
	}
	// With a single layer, the legacy layer ID may simply be its diff ID.
	layerID := img.diffID.Encoded()
	configName := digest.FromBytes(img.config).Encoded() + ".json"
	layerName := layerID + "/layer.tar"

	manifest, err := json.Marshal([]dockerManifest{{
		Config:   configName,
		RepoTags: []string{ref.familiar},
		Layers:   []string{layerName},
	}})
	if err != nil {
		return fmt.Errorf("encoding docker manifest: %w", err)
	}
	repositories, err := json.Marshal(map[string]map[string]string{ref.repo: {ref.tag: layerID}})
	if err != nil {
		return fmt.Errorf("encoding docker repositories: %w", err)
	}
	legacy, err := json.Marshal(legacyLayer{ID: layerID, Created: epoch, OS: "linux", Architecture: runtime.GOARCH})
	if err != nil {
		return fmt.Errorf("encoding docker layer json: %w", err)
	}

	tw := tar.NewWriter(w)
	entries := []entry{
		{name: layerID + "/", dir: true},
		{name: layerID + "/VERSION", data: []byte("1.0")},
		{name: layerID + "/json", data: legacy},
		{name: layerName, data: img.layer},
		{name: configName, data: img.config},
		{name: "manifest.json", data: manifest},
		{name: "repositories", data: repositories},
	}
	if err := writeEntries(tw, entries); err != nil {
		return fmt.Errorf("writing docker archive: %w", err)
	}
	return nil
}

// dockerManifest is one entry of a docker-save manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// legacyLayer is the <layer id>/json of the pre-1.10 docker-save layout.
type legacyLayer struct {
	ID           string    `json:"id"`
	Created      time.Time `json:"created"`
	OS           string    `json:"os"`
	Architecture string    `json:"architecture"`
}

// OCIArchive writes an OCI image-layout archive (oci-layout, index.json,
// blobs/sha256/...) of the image, with a gzip-compressed layer, to w.
func OCIArchive(w io.Writer, o Options) error {
	o = o.withDefaults()
	ref, err := parseRef(o.Ref)
	if err != nil {
		return err
	}
	img, err := build(o)
	if err != nil {
		return err
	}
	gz, err := compress(img.layer)
	if err != nil {
		return fmt.Errorf("compressing layer: %w", err)
	}
	layer := descriptor(ocispec.MediaTypeImageLayerGzip, gz)
	config := descriptor(ocispec.MediaTypeImageConfig, img.config)
	manifest, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    config,
		Layers:    []ocispec.Descriptor{layer},
	})
	if err != nil {
		return fmt.Errorf("encoding OCI manifest: %w", err)
	}
	manifestDesc := descriptor(ocispec.MediaTypeImageManifest, manifest)
	manifestDesc.Annotations = map[string]string{
		annotationImageName:       ref.full,
		ocispec.AnnotationRefName: ref.tag,
	}
	index, err := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{manifestDesc},
	})
	if err != nil {
		return fmt.Errorf("encoding OCI index: %w", err)
	}
	layout, err := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
	if err != nil {
		return fmt.Errorf("encoding OCI layout: %w", err)
	}

	tw := tar.NewWriter(w)
	entries := []entry{
		{name: ocispec.ImageLayoutFile, data: layout},
		{name: "blobs/", dir: true},
		{name: "blobs/sha256/", dir: true},
		{name: blobPath(layer.Digest), data: gz},
		{name: blobPath(config.Digest), data: img.config},
		{name: blobPath(manifestDesc.Digest), data: manifest},
		{name: ocispec.ImageIndexFile, data: index},
	}
	if err := writeEntries(tw, entries); err != nil {
		return fmt.Errorf("writing OCI archive: %w", err)
	}
	return nil
}

// compress gzips data reproducibly: fixed header time, no name, fixed level.
func compress(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	zw.ModTime = epoch
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func descriptor(mediaType string, data []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
}

func blobPath(d digest.Digest) string {
	return ocispec.ImageBlobsDir + "/" + d.Algorithm().String() + "/" + d.Encoded()
}

// entry is a file or directory of an image archive.
type entry struct {
	name string
	dir  bool
	data []byte
}

// writeEntries writes the entries, owned by 0:0 and stamped with epoch, and
// closes tw.
func writeEntries(tw *tar.Writer, entries []entry) error {
	for _, e := range entries {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: 0o644, Size: int64(len(e.data)), ModTime: epoch, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// WriteAll writes busybox-rootfs.tar, busybox-docker.tar and busybox-oci.tar
// into dir and returns their paths.
func WriteAll(dir string, o Options) (rootfs, docker, oci string, err error) {
	// Refuse a bad reference before writing anything.
	if _, err := parseRef(o.withDefaults().Ref); err != nil {
		return "", "", "", err
	}
	rootfs = filepath.Join(dir, "busybox-rootfs.tar")
	docker = filepath.Join(dir, "busybox-docker.tar")
	oci = filepath.Join(dir, "busybox-oci.tar")
	for _, f := range []struct {
		path  string
		write func(io.Writer, Options) error
	}{{rootfs, Rootfs}, {docker, DockerArchive}, {oci, OCIArchive}} {
		if err := writeFile(f.path, o, f.write); err != nil {
			return "", "", "", err
		}
	}
	return rootfs, docker, oci, nil
}

// writeFile writes path through a temporary file in the same directory, so
// that a failed build never leaves a truncated archive behind.
func writeFile(path string, o Options, write func(io.Writer, Options) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := write(tmp, o); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
