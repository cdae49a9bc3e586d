// Command lumper-kube writes Kubernetes YAML (a Pod or Deployment, and a
// Service) for containers: it reads their inspect documents, the JSON array
// `lumper inspect` prints, on stdin. `lumper generate kube` runs it; it is a
// separate binary so that the Kubernetes types stay out of lumper's
// (docs/ARCHITECTURE.md). What Kubernetes cannot express goes to stderr, one
// line each; an error is one line and exit status 1.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/kube/manifest"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "lumper-kube: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lumper-kube", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o manifest.Options
	var replicas int
	fs.StringVar(&o.Type, "type", "", "pod (the default) or deployment (the default with --by-service)")
	fs.BoolVar(&o.Service, "service", false, "a Service even when no port is published")
	fs.StringVar(&o.Name, "name", "", "the workload's name (default: the first container's)")
	fs.IntVar(&replicas, "replicas", 0, "a Deployment's replicas")
	fs.BoolVar(&o.ByService, "by-service", false, "one Deployment per compose service (label com.docker.compose.service)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v (usage: lumper inspect CONTAINER... | lumper-kube [--type pod|deployment] [--service] [--name NAME] [--replicas N] [--by-service])", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: the containers' inspect JSON is read from stdin", fs.Arg(0))
	}
	if replicas < 0 || replicas > 1<<31-1 {
		return fmt.Errorf("invalid --replicas %d", replicas)
	}
	o.Replicas = int32(replicas)
	var docs []api.ContainerJSON
	if err := json.NewDecoder(stdin).Decode(&docs); err != nil {
		return fmt.Errorf("reading the containers' inspect JSON array on stdin: %w", err)
	}
	res, err := manifest.Generate(docs, o)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "lumper-kube: warning: %s\n", w)
	}
	_, err = stdout.Write(res.YAML)
	return err
}
