// Command mkimage writes the busybox test images (rootfs tarball, docker-save
// and OCI archives) built from the host's static busybox.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/lumper/lumper/internal/testimage"
)

func main() {
	out := flag.String("o", ".", "output directory")
	bb := flag.String("busybox", "/bin/busybox", "static busybox binary")
	ref := flag.String("ref", "docker.io/library/busybox:latest", "image reference")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
	r, d, o, err := testimage.WriteAll(*out, testimage.Options{Busybox: *bb, Ref: *ref})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
	fmt.Println(r)
	fmt.Println(d)
	fmt.Println(o)
}
