package container

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	eventtypes "github.com/containerd/containerd/api/events"
	"github.com/containerd/containerd/v2/core/events"
	"github.com/containerd/errdefs"
	"github.com/containerd/typeurl/v2"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
	"github.com/lumper/lumper/pkg/images"
)

// EventActor is what an event is about: a container's 64-hex ID or an
// image's name, and its attributes (name, image, exitCode, labels...).
type EventActor struct {
	ID         string            `json:"ID"`
	Attributes map[string]string `json:"Attributes"`
}

// Event is one line of `lumper events`, with Docker's fields (and its
// legacy status/id/from, which `--format '{{json .}}'` shows too).
type Event struct {
	Status   string     `json:"status,omitempty"`
	ID       string     `json:"id,omitempty"`
	From     string     `json:"from,omitempty"`
	Type     string     `json:"Type"`
	Action   string     `json:"Action"`
	Actor    EventActor `json:"Actor"`
	Scope    string     `json:"scope"`
	Time     int64      `json:"time"`
	TimeNano int64      `json:"timeNano"`
}

// String is Docker's default event line:
// 2024-01-01T00:00:00.000000000Z container start ID (image=busybox, name=web).
func (e Event) String() string {
	var b strings.Builder
	b.WriteString(time.Unix(0, e.TimeNano).Format("2006-01-02T15:04:05.000000000Z07:00"))
	fmt.Fprintf(&b, " %s %s %s", e.Type, e.Action, e.Actor.ID)
	if len(e.Actor.Attributes) > 0 {
		keys := make([]string, 0, len(e.Actor.Attributes))
		for k := range e.Actor.Attributes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			sep := ", "
			if i == 0 {
				sep = " ("
			}
			fmt.Fprintf(&b, "%s%s=%s", sep, k, e.Actor.Attributes[k])
		}
		b.WriteString(")")
	}
	return b.String()
}

// EventFilters are `events --filter` values by key (container, event,
// image, label, type): values of one key are alternatives, keys must all
// match, as Docker's.
type EventFilters map[string][]string

// Add adds one --filter KEY=VALUE to f.
func (f EventFilters) Add(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || v == "" {
		return api.Invalidf("invalid --filter %q: use KEY=VALUE (container, event, image, label, type)", s)
	}
	switch k {
	case "container", "event", "image", "label", "type":
	default:
		return api.Invalidf("invalid --filter %q: lumper filters events by container, event, image, label or type", s)
	}
	if k == "type" && v != "container" && v != "image" {
		return api.Invalidf("invalid --filter %q: lumper's events are of type container or image", s)
	}
	f[k] = append(f[k], v)
	return nil
}

// Match reports whether e passes the filters.
func (f EventFilters) Match(e Event) bool {
	match := func(key string, ok func(v string) bool) bool {
		vs := f[key]
		return len(vs) == 0 || slices.ContainsFunc(vs, ok)
	}
	return match("type", func(v string) bool { return v == e.Type }) &&
		match("event", func(v string) bool { return v == e.Action }) &&
		match("container", func(v string) bool {
			return e.Type == "container" && (v == e.Actor.ID || v == e.Actor.Attributes["name"] ||
				(len(v) >= 4 && strings.HasPrefix(e.Actor.ID, v)))
		}) &&
		match("image", func(v string) bool {
			img := e.Actor.Attributes["image"]
			if e.Type == "image" {
				img = e.Actor.ID
			}
			return sameImage(v, img)
		}) &&
		match("label", func(v string) bool {
			k, val, hasVal := strings.Cut(v, "=")
			got, ok := e.Actor.Attributes[k]
			return ok && (!hasVal || got == val)
		})
}

// sameImage compares image references as the user may write them
// (busybox, busybox:latest, docker.io/library/busybox:latest).
func sameImage(a, b string) bool {
	if a == b {
		return true
	}
	na, errA := images.Normalize(a)
	nb, errB := images.Normalize(b)
	return errA == nil && errB == nil && na == nb
}

// EventsOptions configure Events.
type EventsOptions struct {
	Since, Until time.Time // zero: unset
	Filters      EventFilters
}

// Events streams the events of lumper's namespace from containerd's event
// service, translated to Docker's vocabulary, to emit until ctx ends, emit
// fails, or (with o.Until) that time passes. containerd keeps no history:
// only events from the subscription on are seen, so o.Since only drops
// earlier ones and a past o.Until ends at once.
func Events(ctx context.Context, c *client.Client, o EventsOptions, emit func(Event) error) error {
	var deadline <-chan time.Time
	if !o.Until.IsZero() {
		d := time.Until(o.Until)
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		deadline = t.C
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, errs := c.EventService().Subscribe(ctx, "namespace=="+strconv.Quote(c.Namespace))
	actors := newActorCache(ctx, c)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-deadline:
			return nil
		case err := <-errs:
			if err == nil || ctx.Err() != nil || errdefs.IsCanceled(err) {
				return nil
			}
			return fmt.Errorf("reading containerd's events: %w", err)
		case env := <-ch:
			if env == nil {
				continue
			}
			e, ok := translate(ctx, actors, env)
			if !ok || (!o.Since.IsZero() && env.Timestamp.Before(o.Since)) || !o.Filters.Match(e) {
				continue
			}
			if !o.Until.IsZero() && env.Timestamp.After(o.Until) {
				return nil
			}
			if err := emit(e); err != nil {
				return err
			}
		}
	}
}

// actorCache remembers containers' names, images and labels, so that the
// events of a container that is gone (destroy) still name it.
type actorCache struct {
	c    *client.Client
	attr map[string]map[string]string
}

func newActorCache(ctx context.Context, c *client.Client) *actorCache {
	a := &actorCache{c: c, attr: map[string]map[string]string{}}
	if ctrs, err := c.ContainerService().List(ctx); err == nil {
		for _, rec := range ctrs {
			a.attr[rec.ID] = containerAttributes(rec.Labels, rec.Image)
		}
	}
	return a
}

// of returns a copy of container id's attributes, reading them from
// containerd when they are not known (or refresh is set).
func (a *actorCache) of(ctx context.Context, id string, refresh bool) map[string]string {
	if _, ok := a.attr[id]; !ok || refresh {
		if rec, err := a.c.ContainerService().Get(ctx, id); err == nil {
			a.attr[id] = containerAttributes(rec.Labels, rec.Image)
		}
	}
	out := map[string]string{}
	for k, v := range a.attr[id] {
		out[k] = v
	}
	return out
}

func containerAttributes(labels map[string]string, image string) map[string]string {
	attr := map[string]string{}
	for k, v := range client.UserLabels(labels) {
		attr[k] = v
	}
	if img := labels[client.LabelImage]; img != "" {
		image = img
	}
	if image != "" {
		attr["image"] = image
	}
	if n := labels[client.LabelName]; n != "" {
		attr["name"] = n
	}
	return attr
}

// translate maps a containerd event to Docker's; false for the events that
// have no Docker counterpart (snapshots, content, label updates, task
// create and delete, which are lumper's plumbing).
func translate(ctx context.Context, a *actorCache, env *events.Envelope) (Event, bool) {
	v, err := typeurl.UnmarshalAny(env.Event)
	if err != nil {
		return Event{}, false
	}
	var typ, action, id string
	extra := map[string]string{}
	switch ev := v.(type) {
	case *eventtypes.ContainerCreate:
		typ, action, id = "container", "create", ev.ID
		a.of(ctx, id, true)
	case *eventtypes.ContainerDelete:
		typ, action, id = "container", "destroy", ev.ID
	case *eventtypes.ContainerUpdate:
		a.of(ctx, ev.ID, true) // a rename, new exit labels
		return Event{}, false
	case *eventtypes.TaskStart:
		typ, action, id = "container", "start", ev.ContainerID
	case *eventtypes.TaskExit:
		typ, id = "container", ev.ContainerID
		if ev.ID == "" || ev.ID == ev.ContainerID {
			action = "die"
			extra["exitCode"] = strconv.FormatUint(uint64(ev.ExitStatus), 10)
		} else {
			action = "exec_die"
			extra["execID"] = ev.ID
			extra["exitCode"] = strconv.FormatUint(uint64(ev.ExitStatus), 10)
		}
	case *eventtypes.TaskPaused:
		typ, action, id = "container", "pause", ev.ContainerID
	case *eventtypes.TaskResumed:
		typ, action, id = "container", "unpause", ev.ContainerID
	case *eventtypes.TaskOOM:
		typ, action, id = "container", "oom", ev.ContainerID
	case *eventtypes.TaskExecAdded:
		typ, action, id = "container", "exec_create", ev.ContainerID
		extra["execID"] = ev.ExecID
	case *eventtypes.TaskExecStarted:
		typ, action, id = "container", "exec_start", ev.ContainerID
		extra["execID"] = ev.ExecID
	case *eventtypes.ImageCreate:
		typ, action, id = "image", "tag", ev.Name
	case *eventtypes.ImageUpdate:
		typ, action, id = "image", "tag", ev.Name
	case *eventtypes.ImageDelete:
		typ, action, id = "image", "delete", ev.Name
	default:
		return Event{}, false
	}
	e := Event{Type: typ, Action: action, Scope: "local",
		Time: env.Timestamp.Unix(), TimeNano: env.Timestamp.UnixNano()}
	if typ == "image" {
		e.Actor = EventActor{ID: id, Attributes: map[string]string{"name": id}}
	} else {
		attr := a.of(ctx, id, false)
		for k, v := range extra {
			attr[k] = v
		}
		e.Actor = EventActor{ID: id, Attributes: attr}
		e.From = attr["image"]
	}
	e.Status, e.ID = action, id
	if action == "destroy" {
		delete(a.attr, id)
	}
	return e, true
}
