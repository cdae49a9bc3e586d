package client

import (
	"context"
	"fmt"
	"strconv"

	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/errdefs"
)

// ContainerLister is the one containerd call the resolver needs.
type ContainerLister interface {
	List(ctx context.Context, filters ...string) ([]containers.Container, error)
}

// IsIDPrefix reports whether ref can be (a prefix of) a container ID: 1 to
// 64 lowercase hex digits.
func IsIDPrefix(ref string) bool {
	if ref == "" || len(ref) > 64 {
		return false
	}
	for i := 0; i < len(ref); i++ {
		if c := ref[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ResolveContainer finds the container a user means by ref: a full ID, a
// name, or a unique ID prefix, in that order of preference. Not found is an
// errdefs.ErrNotFound; an ambiguous prefix is an errdefs.ErrInvalidArgument.
func ResolveContainer(ctx context.Context, cs ContainerLister, ref string) (containers.Container, error) {
	if ref == "" {
		return containers.Container{}, fmt.Errorf("empty container name or ID: %w", errdefs.ErrInvalidArgument)
	}
	filters := []string{"labels." + strconv.Quote(LabelName) + "==" + strconv.Quote(ref)}
	if IsIDPrefix(ref) {
		filters = append(filters, "id~="+strconv.Quote("^"+ref))
	}
	found, err := cs.List(ctx, filters...)
	if err != nil {
		return containers.Container{}, fmt.Errorf("looking up container %q: %w", ref, err)
	}
	var byName, byPrefix []containers.Container
	for _, c := range found {
		switch {
		case c.ID == ref:
			return c, nil
		case c.Labels[LabelName] == ref:
			byName = append(byName, c)
		default:
			byPrefix = append(byPrefix, c)
		}
	}
	if len(byName) > 0 {
		return byName[0], nil
	}
	switch len(byPrefix) {
	case 0:
		return containers.Container{}, NoSuchContainer(ref)
	case 1:
		return byPrefix[0], nil
	default:
		return containers.Container{}, fmt.Errorf("container ID prefix %q is ambiguous (%d matches): give more characters: %w", ref, len(byPrefix), errdefs.ErrInvalidArgument)
	}
}

// NoSuchContainer is the not-found error of a container reference, worded
// as Docker's ("No such container: x"), which scripts grep for; it is an
// errdefs.ErrNotFound.
func NoSuchContainer(ref string) error {
	return errdefs.ErrNotFound.WithMessage("No such container: " + ref)
}

// Container resolves ref against this client's containers.
func (c *Client) Container(ctx context.Context, ref string) (containers.Container, error) {
	return ResolveContainer(ctx, c.ContainerService(), ref)
}

// CheckedContainer is CheckDaemon and Container at once: the two requests
// share containerd's round trip, so a command about one container starts
// one round trip sooner. A refused daemon's error comes first.
func (c *Client) CheckedContainer(ctx context.Context, ref string) (warnings []string, rec containers.Container, err error) {
	var checkErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		warnings, checkErr = c.CheckDaemon(ctx)
	}()
	rec, err = c.Container(ctx, ref)
	<-done
	if checkErr != nil {
		return nil, containers.Container{}, checkErr
	}
	return warnings, rec, err
}
