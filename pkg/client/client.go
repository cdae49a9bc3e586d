// Package client dials containerd for lumper: address, namespace, snapshotter,
// leases, the label keys lumper stores its state under, and the resolver that
// turns a user's CONTAINER argument into a containerd container.
package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/pkg/identifiers"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
)

const (
	// DefaultAddress is containerd's standard socket.
	DefaultAddress = "/run/containerd/containerd.sock"
	// DefaultNamespace keeps lumper's objects apart from Docker's (moby) and
	// Kubernetes' (k8s.io).
	DefaultNamespace = "lumper"
	// DefaultSnapshotter is the union file system lumper uses.
	DefaultSnapshotter = "overlayfs"
	// DefaultDataRoot holds lumper's own files (container logs).
	DefaultDataRoot = "/var/lib/lumper"
	// DefaultRuntime is the shim that runs containers.
	DefaultRuntime = "io.containerd.runc.v2"
	// dialTimeout bounds connecting to the socket.
	dialTimeout = 5 * time.Second
)

// Options says where and how to reach containerd.
type Options struct {
	Address     string
	Namespace   string
	Snapshotter string
	DataRoot    string
	// CNIPath lists the directories holding the CNI plugins (colon-separated);
	// empty means pkg/network's default.
	CNIPath string
}

// Client is a containerd client bound to lumper's namespace and snapshotter.
type Client struct {
	*containerd.Client
	Address     string
	Namespace   string
	Snapshotter string
	DataRoot    string
	CNIPath     string
}

// ErrUnreachable reports that containerd could not be reached at an address.
type ErrUnreachable struct {
	Address string
	Err     error
}

func (e *ErrUnreachable) Error() string {
	return fmt.Sprintf("cannot connect to containerd at %s: %v", e.Address, e.Err)
}

func (e *ErrUnreachable) Unwrap() error { return e.Err }

// New dials containerd and returns the client and a context carrying the
// namespace. The caller must Close the client.
func New(ctx context.Context, o Options) (*Client, context.Context, error) {
	if o.Address == "" {
		o.Address = DefaultAddress
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Snapshotter == "" {
		o.Snapshotter = DefaultSnapshotter
	}
	if o.DataRoot == "" {
		o.DataRoot = DefaultDataRoot
	}
	if err := identifiers.Validate(o.Namespace); err != nil {
		return nil, ctx, fmt.Errorf("invalid namespace %q: %w", o.Namespace, err)
	}
	if err := checkSocket(o.Address); err != nil {
		return nil, ctx, err
	}
	c, err := containerd.New(o.Address,
		containerd.WithTimeout(dialTimeout),
		containerd.WithDefaultNamespace(o.Namespace),
		containerd.WithDefaultRuntime(DefaultRuntime),
	)
	if err != nil {
		return nil, ctx, &ErrUnreachable{Address: o.Address, Err: err}
	}
	ctx = namespaces.WithNamespace(ctx, o.Namespace)
	return &Client{Client: c, Address: o.Address, Namespace: o.Namespace, Snapshotter: o.Snapshotter, DataRoot: o.DataRoot, CNIPath: o.CNIPath}, ctx, nil
}

// IsUnreachable reports whether err means containerd did not answer.
func IsUnreachable(err error) bool {
	var u *ErrUnreachable
	return errors.As(err, &u) || errdefs.IsUnavailable(err)
}

// WithOperationLease returns a context under a new lease for one operation
// (load, import, commit, pull) and the function that deletes it. Everything
// the operation writes is held by the lease until the result is referenced by
// an image record; if lumper dies midway, the lease expires after ttl and
// containerd's garbage collector reclaims what it held. The lease carries the
// label lumper.io/operation=op.
func (c *Client) WithOperationLease(ctx context.Context, op string, ttl time.Duration) (context.Context, func(context.Context) error, error) {
	ctx, done, err := c.WithLease(ctx, leases.WithRandomID(), leases.WithExpiration(ttl), leases.WithLabel(LabelLeaseOperation, op))
	if err != nil {
		return ctx, done, fmt.Errorf("creating %s lease: %w", op, err)
	}
	return ctx, done, nil
}
