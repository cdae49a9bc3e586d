// Package testimage builds a small busybox image from the host's static
// busybox, as a rootfs tarball, a `docker save` archive and an OCI archive.
// Builds are deterministic: the same busybox gives the same image ID.
package testimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	_ "crypto/sha256" // registers sha256 for go-digest
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options say which busybox to use and how to name the image.
type Options struct {
	Busybox string // default /bin/busybox (Debian's busybox-static)
	Ref     string // default docker.io/library/busybox:latest
	// Extra adds /data/random with this many pseudo-random (incompressible,
	// but reproducible) bytes, for benchmarks of big images.
	Extra int64
}

func (o Options) withDefaults() Options {
	if o.Busybox == "" {
		o.Busybox = "/bin/busybox"
	}
	if o.Ref == "" {
		o.Ref = "docker.io/library/busybox:latest"
	}
	return o
}

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Rootfs writes a rootfs tarball (what `docker export` produces) to w.
func Rootfs(w io.Writer, o Options) error {
	o = o.withDefaults()
	bb, err := os.ReadFile(o.Busybox)
	if err != nil {
		return fmt.Errorf("reading busybox: %w", err)
	}
	applets, err := listApplets(o.Busybox)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: epoch, Format: tar.FormatPAX})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, d := range []struct {
		name string
		mode int64
	}{{"bin", 0o755}, {"dev", 0o755}, {"etc", 0o755}, {"home", 0o755}, {"proc", 0o555}, {"root", 0o700}, {"sys", 0o555}, {"tmp", 0o1777}, {"usr", 0o755}, {"usr/bin", 0o755}, {"var", 0o755}} {
		if err := dir(d.name, d.mode); err != nil {
			return fmt.Errorf("writing rootfs: %w", err)
		}
	}
	if err := file("bin/busybox", 0o755, bb); err != nil {
		return fmt.Errorf("writing rootfs: %w", err)
	}
	for _, a := range applets {
		if a == "busybox" {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return fmt.Errorf("writing rootfs: %w", err)
		}
	}
	if o.Extra > 0 {
		if err := dir("data", 0o755); err != nil {
			return fmt.Errorf("writing rootfs: %w", err)
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "data/random", Mode: 0o644, Size: o.Extra, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return fmt.Errorf("writing rootfs: %w", err)
		}
		if _, err := io.CopyN(tw, rand.NewChaCha8([32]byte{}), o.Extra); err != nil {
			return fmt.Errorf("writing rootfs: %w", err)
		}
	}
	etc := map[string]string{
		"etc/passwd":   "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group":    "root:x:0:\nnogroup:x:65534:\n",
		"etc/hostname": "",
	}
	for _, name := range []string{"etc/group", "etc/hostname", "etc/passwd"} {
		if err := file(name, 0o644, []byte(etc[name])); err != nil {
			return fmt.Errorf("writing rootfs: %w", err)
		}
	}
	return tw.Close()
}

func listApplets(busybox string) ([]string, error) {
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("listing busybox applets: %w", err)
	}
	var applets []string
	for _, a := range strings.Fields(string(out)) {
		if !strings.ContainsAny(a, "/[") || a == "[" || a == "[[" {
			applets = append(applets, a)
		}
	}
	sort.Strings(applets)
	return applets, nil
}

// image is a built one-layer image.
type image struct {
	layer  []byte // uncompressed tar
	diffID digest.Digest
	config []byte
}

func build(o Options) (image, error) {
	var buf bytes.Buffer
	if err := Rootfs(&buf, o); err != nil {
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
		History: []ocispec.History{{Created: &created, CreatedBy: "lumper testimage: Debian busybox-static"}},
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return image{}, fmt.Errorf("encoding config: %w", err)
	}
	img.config = b
	return img, nil
}

// familiar turns docker.io/library/busybox:latest into busybox:latest.
func familiar(ref string) string {
	ref = strings.TrimPrefix(ref, "docker.io/")
	return strings.TrimPrefix(ref, "library/")
}

// DockerArchive writes a `docker save` archive of the image to w.
func DockerArchive(w io.Writer, o Options) error {
	o = o.withDefaults()
	img, err := build(o)
	if err != nil {
		return err
	}
	cfgName := digest.FromBytes(img.config).Encoded() + ".json"
	layerName := img.diffID.Encoded() + "/layer.tar"
	manifest, _ := json.Marshal([]map[string]any{{
		"Config": cfgName, "RepoTags": []string{familiar(o.Ref)}, "Layers": []string{layerName},
	}})
	repo, tag, _ := strings.Cut(familiar(o.Ref), ":")
	repos, _ := json.Marshal(map[string]map[string]string{repo: {tag: img.diffID.Encoded()}})
	tw := tar.NewWriter(w)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{img.diffID.Encoded() + "/VERSION", []byte("1.0")},
		{layerName, img.layer},
		{cfgName, img.config},
		{"manifest.json", manifest},
		{"repositories", repos},
	} {
		if err := writeFile(tw, f.name, f.data); err != nil {
			return fmt.Errorf("writing docker archive: %w", err)
		}
	}
	return tw.Close()
}

// OCIArchive writes an OCI image-layout archive with a gzip layer to w.
func OCIArchive(w io.Writer, o Options) error {
	o = o.withDefaults()
	img, err := build(o)
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.ModTime = epoch
	if _, err := zw.Write(img.layer); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	layer := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(gz.Bytes()), Size: int64(gz.Len())}
	config := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(img.config), Size: int64(len(img.config))}
	manifest, _ := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    config,
		Layers:    []ocispec.Descriptor{layer},
	})
	_, tag, _ := strings.Cut(familiar(o.Ref), ":")
	index, _ := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{{
			MediaType: ocispec.MediaTypeImageManifest,
			Digest:    digest.FromBytes(manifest),
			Size:      int64(len(manifest)),
			Annotations: map[string]string{
				"io.containerd.image.name": o.Ref,
				ocispec.AnnotationRefName:  tag,
			},
		}},
	})
	tw := tar.NewWriter(w)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"blobs/sha256/" + layer.Digest.Encoded(), gz.Bytes()},
		{"blobs/sha256/" + config.Digest.Encoded(), img.config},
		{"blobs/sha256/" + digest.FromBytes(manifest).Encoded(), manifest},
		{"index.json", index},
	} {
		if err := writeFile(tw, f.name, f.data); err != nil {
			return fmt.Errorf("writing OCI archive: %w", err)
		}
	}
	return tw.Close()
}

func writeFile(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// WriteAll writes busybox-rootfs.tar, busybox-docker.tar and busybox-oci.tar
// into dir and returns their paths.
func WriteAll(dir string, o Options) (rootfs, docker, oci string, err error) {
	rootfs, docker, oci = filepath.Join(dir, "busybox-rootfs.tar"), filepath.Join(dir, "busybox-docker.tar"), filepath.Join(dir, "busybox-oci.tar")
	for _, f := range []struct {
		path string
		fn   func(io.Writer, Options) error
	}{{rootfs, Rootfs}, {docker, DockerArchive}, {oci, OCIArchive}} {
		if err := writeTo(f.path, o, f.fn); err != nil {
			return "", "", "", err
		}
	}
	return rootfs, docker, oci, nil
}

func writeTo(path string, o Options, fn func(io.Writer, Options) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if err := fn(f, o); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
