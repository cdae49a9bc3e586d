// Package kube is lumper's side of `generate kube`: it reads containers'
// configuration through inspect (container.Inspect) and hands their
// documents, as JSON on stdin, to the lumper-kube binary, which writes the
// Kubernetes YAML (pkg/kube/manifest). The Kubernetes types would add a
// third to lumper's size, so they live in that separate binary, found
// beside lumper, then in PATH (docs/ARCHITECTURE.md).
package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/plugin"
)

// Binary is the generator's executable.
const Binary = plugin.Kube

// Kinds of workload (lumper-kube's --type).
const (
	TypePod        = "pod"
	TypeDeployment = "deployment"
)

// Options choose what to generate (lumper-kube's flags).
type Options struct {
	Type     string // TypePod (default) or TypeDeployment
	Service  bool   // a Service even when no port is published
	Name     string // the workload's name; "" takes the first container's
	Replicas int    // a Deployment's replicas; 0: 1 (or a compose service's containers)
	// ByService makes one Deployment (and Service) per compose service
	// (label com.docker.compose.service), for `compose convert --format kube`.
	ByService bool
}

// Args are the options as lumper-kube's flags.
func (o Options) Args() []string {
	var a []string
	if o.Type != "" {
		a = append(a, "--type", o.Type)
	}
	if o.Service {
		a = append(a, "--service")
	}
	if o.Name != "" {
		a = append(a, "--name", o.Name)
	}
	if o.Replicas != 0 {
		a = append(a, "--replicas", strconv.Itoa(o.Replicas))
	}
	if o.ByService {
		a = append(a, "--by-service")
	}
	return a
}

// Generate returns the Kubernetes YAML of the containers refs names (names
// or ID prefixes, in that order); what Kubernetes cannot express is written
// to warn, one line each.
func Generate(ctx context.Context, c *client.Client, refs []string, o Options, warn io.Writer) ([]byte, error) {
	docs := make([]api.ContainerJSON, 0, len(refs))
	for _, ref := range refs {
		d, err := container.Inspect(ctx, c, ref)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return Convert(ctx, docs, o, warn)
}

// Convert runs lumper-kube on inspect documents.
func Convert(ctx context.Context, docs []api.ContainerJSON, o Options, warn io.Writer) ([]byte, error) {
	bin, err := Find()
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(docs)
	if err != nil {
		return nil, fmt.Errorf("encoding containers for %s: %w", Binary, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, o.Args()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := lastLine(stderr.String()); msg != "" {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return nil, errors.New(strings.TrimPrefix(msg, Binary+": "))
			}
		}
		return nil, fmt.Errorf("running %s: %w", bin, err)
	}
	if warn != nil {
		if _, err := io.Copy(warn, &stderr); err != nil {
			return nil, err
		}
	}
	return stdout.Bytes(), nil
}

// Find looks for lumper-kube beside the running lumper, then in PATH.
func Find() (string, error) {
	return plugin.Find(Binary, "`generate kube`")
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
