package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/containerd/errdefs"
	"github.com/spf13/cobra"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/container"
	"github.com/lumper/lumper/pkg/images"
	"github.com/lumper/lumper/pkg/network"
	"github.com/lumper/lumper/pkg/output"
	"github.com/lumper/lumper/pkg/volume"
)

// Object types `inspect --type` takes.
const (
	typeContainer = "container"
	typeImage     = "image"
	typeNetwork   = "network"
	typeVolume    = "volume"
)

// InspectOptions are the flags of `lumper inspect` and of `container
// inspect`, `image inspect` and `network inspect` (Type set).
type InspectOptions struct {
	Global *GlobalOptions
	Format string
	Type   string
	Size   bool
	Refs   []string
}

// newInspectCmd is `inspect`; typ fixes the object type for the group
// verbs (`container inspect` ...), "" leaves it to --type.
func newInspectCmd(g *GlobalOptions) *cobra.Command {
	return newInspectCmdOf(g, "")
}

func newInspectCmdOf(g *GlobalOptions, typ string) *cobra.Command {
	o := &InspectOptions{Global: g, Type: typ}
	what := map[string]string{"": "CONTAINER|IMAGE|NETWORK", typeContainer: "CONTAINER", typeImage: "IMAGE", typeNetwork: "NETWORK", typeVolume: "VOLUME"}[typ]
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] " + what + " [" + what + "...]",
		Short: "Show details of " + strings.ToLower(strings.ReplaceAll(what, "|", ", ")) + " objects as Docker's JSON documents",
		Example: `  lumper inspect web
  lumper inspect -f '{{.NetworkSettings.IPAddress}}' web
  lumper inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}' web
  lumper inspect --type image busybox`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs = args
			switch o.Type {
			case "", typeContainer, typeImage, typeNetwork, typeVolume:
			default:
				return usageErrorf(cmd, "invalid --type %q: use container, image, network or volume", o.Type)
			}
			if o.Format != "" && o.Format != "json" {
				if _, err := output.Template(o.Format); err != nil {
					return usageErrorf(cmd, "%v", err)
				}
			}
			return runOrHook(cmd.Context(), o.Global, o, runInspect)
		},
	}
	cmd.Flags().StringVarP(&o.Format, "format", "f", "", "format each object with a Go template over its JSON document ('json': the JSON)")
	if typ == "" {
		cmd.Flags().StringVar(&o.Type, "type", "", "only look for this type of object: container, image, network or volume")
	}
	if typ == "" || typ == typeContainer {
		cmd.Flags().BoolVarP(&o.Size, "size", "s", false, "accepted for Docker's scripts; sizes are not shown")
	}
	return cmd
}

// inspectNotFound is a reference that names no object of the asked type.
type inspectNotFound struct{ msg string }

func (e *inspectNotFound) Error() string { return e.msg }

func runInspect(ctx context.Context, o *InspectOptions) error {
	return o.Global.withClient(ctx, func(ctx context.Context, c *client.Client) error {
		var results []any
		var errs []error
		for _, ref := range o.Refs {
			v, err := inspectOne(ctx, c, o.Global.networks(), o.Type, ref)
			if err != nil && (o.Type == "" || o.Type == typeVolume) {
				v, err = inspectVolumeAfter(o.Global.DataRoot, o.Type, ref, err)
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			results = append(results, v)
		}
		// Docker prints what it found, then the misses, and exits 1.
		if err := printInspect(o.Global.IO.Out, o.Format, results); err != nil {
			return err
		}
		if len(errs) == 0 {
			return nil
		}
		for _, err := range errs {
			var nf *inspectNotFound
			if errors.As(err, &nf) {
				fmt.Fprintf(o.Global.IO.Err, "Error: %s\n", nf.msg)
			} else {
				fmt.Fprintf(o.Global.IO.Err, "lumper: %s\n", oneLine(describe(err)))
			}
		}
		return &api.StatusError{Code: 1}
	})
}

// inspectOne finds ref among the containers, then the images, then the
// networks (Docker's order), or only among typ's objects.
func inspectOne(ctx context.Context, c *client.Client, nets *network.Store, typ, ref string) (any, error) {
	if typ == "" || typ == typeContainer {
		d, err := container.Inspect(ctx, c, ref)
		if err == nil {
			return d, nil
		}
		if !errdefs.IsNotFound(err) {
			return nil, err
		}
		if typ == typeContainer {
			return nil, &inspectNotFound{"No such container: " + ref}
		}
	}
	if typ == "" || typ == typeImage {
		d, err := images.Inspect(ctx, c, ref)
		if err == nil {
			return d, nil
		}
		if !errdefs.IsNotFound(err) {
			return nil, err
		}
		if typ == typeImage {
			return nil, &inspectNotFound{"No such image: " + ref}
		}
	}
	if typ == typeVolume {
		return nil, &inspectNotFound{"No such volume: " + ref}
	}
	d, err := container.InspectNetwork(ctx, c, nets, ref)
	var nf *network.NotFoundError
	switch {
	case err == nil:
		return d, nil
	case !errors.As(err, &nf):
		return nil, err
	case typ == typeNetwork:
		return nil, &inspectNotFound{"No such network: " + ref}
	}
	return nil, &inspectNotFound{"No such object: " + ref}
}

// inspectVolumeAfter looks ref up among the volumes when nothing else
// matched (prev is that miss).
func inspectVolumeAfter(dataRoot, typ, ref string, prev error) (any, error) {
	d, err := inspectVolume(dataRoot, ref)
	switch {
	case err == nil:
		return d, nil
	case !volume.IsNotFound(err):
		return nil, err
	case typ == typeVolume:
		return nil, &inspectNotFound{"No such volume: " + ref}
	}
	return nil, prev
}

// printInspect writes the documents as Docker does: an indented JSON
// array, or each through the --format template, one per line.
func printInspect(w io.Writer, format string, docs []any) error {
	if format == "" || format == "json" {
		if docs == nil {
			docs = []any{}
		}
		b, err := json.MarshalIndent(docs, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	tmpl, err := output.Template(format)
	if err != nil {
		return err
	}
	for _, d := range docs {
		b, err := execInspectTemplate(tmpl, d)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "%s\n", b); err != nil {
			return err
		}
	}
	return nil
}

// execInspectTemplate runs tmpl over a document: over the Go value first
// (so .ID works as in Docker), and when a field is not found there, over
// the document's JSON (so every key inspect prints works: .Id, .NanoCpus),
// as Docker's CLI does.
func execInspectTemplate(tmpl *template.Template, doc any) ([]byte, error) {
	var buf bytes.Buffer
	err := tmpl.Execute(&buf, doc)
	if err == nil {
		return buf.Bytes(), nil
	}
	raw, merr := inspectRaw(doc)
	if merr != nil {
		return nil, fmt.Errorf("executing --format template: %w", err)
	}
	buf.Reset()
	if rerr := tmpl.Execute(&buf, raw); rerr != nil {
		return nil, fmt.Errorf("executing --format template: %w", err)
	}
	return buf.Bytes(), nil
}

// inspectRaw is a document as its JSON decodes into maps, numbers kept
// as written (a memory limit prints as 67108864, not 6.7108864e+07).
func inspectRaw(doc any) (any, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	// .ID as well as .Id, so that a template may mix Go's and JSON's names.
	if m, ok := raw.(map[string]any); ok {
		if id, ok := m["Id"]; ok {
			m["ID"] = id
		}
	}
	return raw, nil
}
