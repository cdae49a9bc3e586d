package client

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/errdefs"

	"github.com/lumper/lumper/pkg/proc"
)

var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })

// ValidateName checks a container name the way Docker does.
func ValidateName(name string) error {
	if len(name) > 128 || !nameRE().MatchString(name) {
		return fmt.Errorf("invalid container name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters) are allowed", name)
	}
	return nil
}

// NewID returns a random 64-hex-character container ID.
func NewID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// ErrNameInUse is returned when a name is held by another container.
var ErrNameInUse = errors.New("name in use")

// NameInUseError is a name held by container ID (which may be empty when the
// holder is not known), worded as Docker's conflict, which scripts grep for.
// It is an ErrNameInUse.
type NameInUseError struct {
	Name, ID string
}

func (e *NameInUseError) Error() string {
	by := ""
	if e.ID != "" {
		by = fmt.Sprintf(" by container %q", e.ID)
	}
	return fmt.Sprintf("Conflict. The container name \"/%s\" is already in use%s. You have to remove (or rename) that container to be able to reuse that name.", e.Name, by)
}

func (e *NameInUseError) Is(target error) bool { return target == ErrNameInUse }

// nameLeaseID is the ID of the lease that reserves a name. containerd creates
// a lease atomically and refuses a second one with the same ID, which makes
// the lease a per-namespace mutex for the name.
func nameLeaseID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "lumper-name." + hex.EncodeToString(sum[:16])
}

// nameLeaseTTL bounds how long a name lease lives. The lease is only the
// mutex for creating a container with a name; once the container exists, its
// label holds the name.
const nameLeaseTTL = time.Hour

// ReserveName reserves name for container id and returns a context whose
// lease is the reservation, so that what is created under it (the
// container's snapshot) is released with the reservation. Two reservations
// of one name cannot both succeed: containerd creates a lease ID atomically.
// A name held by an existing container is refused with ErrNameInUse; a
// reservation left by a lumper process that died is taken over.
func (c *Client) ReserveName(ctx context.Context, name, id string) (context.Context, error) {
	ls := c.LeasesService()
	leaseID := nameLeaseID(name)
	for attempt := 0; ; attempt++ {
		_, err := ls.Create(ctx, leases.WithID(leaseID), leases.WithLabels(map[string]string{
			LabelName:                 name,
			LabelLeaseContainer:       id,
			LabelLeaseOwner:           selfOwner(),
			"containerd.io/gc.expire": time.Now().Add(nameLeaseTTL).UTC().Format(time.RFC3339),
		}))
		if err == nil {
			// The lease may have expired under a long-lived container: its
			// label still holds the name.
			holders, err := c.ContainerService().List(ctx, "labels."+strconv.Quote(LabelName)+"=="+strconv.Quote(name))
			if err != nil {
				_ = ls.Delete(ctx, leases.Lease{ID: leaseID})
				return ctx, fmt.Errorf("checking name %q: %w", name, err)
			}
			for _, h := range holders {
				if h.ID != id {
					_ = ls.Delete(ctx, leases.Lease{ID: leaseID})
					return ctx, &NameInUseError{Name: name, ID: h.ID}
				}
			}
			return leases.WithLease(ctx, leaseID), nil
		}
		if !errdefs.IsAlreadyExists(err) {
			return ctx, fmt.Errorf("reserving name %q: %w", name, err)
		}
		found, err := ls.List(ctx, "id=="+leaseID)
		if err != nil {
			return ctx, fmt.Errorf("reading reservation of name %q: %w", name, err)
		}
		if len(found) == 0 {
			if attempt < 3 {
				continue // released meanwhile
			}
			return ctx, &NameInUseError{Name: name}
		}
		holder := found[0].Labels[LabelLeaseContainer]
		if holder != "" {
			if _, err := c.ContainerService().Get(ctx, holder); err == nil {
				return ctx, &NameInUseError{Name: name, ID: holder}
			} else if !errdefs.IsNotFound(err) {
				return ctx, fmt.Errorf("checking holder of name %q: %w", name, err)
			}
		}
		if ownerAlive(found[0].Labels[LabelLeaseOwner]) || attempt >= 3 {
			return ctx, &NameInUseError{Name: name, ID: holder}
		}
		// A stale reservation: its owner died before creating the container.
		if err := ls.Delete(ctx, leases.Lease{ID: leaseID}); err != nil && !errdefs.IsNotFound(err) {
			return ctx, fmt.Errorf("releasing stale reservation of name %q: %w", name, err)
		}
	}
}

// ReleaseName drops the reservation of a name. Call it while the container
// that holds the name still exists (or was never created): then the lease can
// only be this container's.
func (c *Client) ReleaseName(ctx context.Context, name string) error {
	if name == "" {
		return nil
	}
	if err := c.LeasesService().Delete(ctx, leases.Lease{ID: nameLeaseID(name)}); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("releasing name %q: %w", name, err)
	}
	return nil
}

// selfOwner identifies this process across PID reuse.
func selfOwner() string { return proc.Self() }

func ownerAlive(owner string) bool {
	alive, _ := proc.Alive(owner)
	return alive
}

// ShortID is the 12-character form of an ID.
func ShortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
