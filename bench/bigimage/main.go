// Command bigimage writes a `docker save` archive of busybox plus a file of
// incompressible data, for the load benchmark.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/lumper/lumper/internal/testimage"
)

func main() {
	out := flag.String("o", "big.tar", "output archive")
	size := flag.Int64("size", 100<<20, "bytes of random data in the image")
	flag.Parse()
	f, err := os.Create(*out)
	if err == nil {
		err = testimage.DockerArchive(f, testimage.Options{Ref: "docker.io/bench/big:latest", Extra: *size})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bigimage:", err)
		os.Exit(1)
	}
}
