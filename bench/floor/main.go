// Command floor is the least a CLI built on containerd's Go client can do to
// find a container by name: start, dial, one Containers.List with a label
// filter, exit. bench/run.sh times it beside `lumper logs` and `cat` to show
// how much of the logs case is the client library's fixed cost.
//
//	floor ADDRESS NAMESPACE NAME   # exits 0 when NAME is found
//	floor -noop                    # starts and exits without dialing
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-noop" {
		return
	}
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: floor ADDRESS NAMESPACE NAME | floor -noop")
		os.Exit(2)
	}
	c, err := containerd.New(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	defer c.Close()
	ctx := namespaces.WithNamespace(context.Background(), os.Args[2])
	found, err := c.ContainerService().List(ctx, "labels.\"lumper.io/name\"=="+strconv.Quote(os.Args[3]))
	if err != nil || len(found) != 1 {
		fmt.Fprintln(os.Stderr, "floor: lookup:", err, len(found))
		os.Exit(1)
	}
}
