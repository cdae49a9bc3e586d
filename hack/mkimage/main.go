// Command mkimage writes the busybox test images (rootfs tarball, docker-save
// and OCI archives) built from the host's static busybox, and prints their
// paths:
//
//	go run ./hack/mkimage -o DIR [-busybox PATH] [-ref REF]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/lumper/lumper/internal/testimage"
)

func main() {
	out := flag.String("o", ".", "output `directory` (created if missing)")
	bb := flag.String("busybox", testimage.DefaultBusybox, "static busybox `binary`")
	ref := flag.String("ref", testimage.DefaultRef, "image `reference` written into the archives")
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, testimage.Options{Busybox: *bb, Ref: *ref}); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(dir string, o testimage.Options) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rootfs, docker, oci, err := testimage.WriteAll(dir, o)
	if err != nil {
		return err
	}
	fmt.Println(rootfs)
	fmt.Println(docker)
	fmt.Println(oci)
	return nil
}
