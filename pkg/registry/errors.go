package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	remoteerrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"

	"github.com/lumper/lumper/pkg/api"
)

// ErrUnauthorized is returned when a registry refuses credentials.
var ErrUnauthorized = errors.New("unauthorized: incorrect username or password")

// failure describes what went wrong in one pull or push.
type failure struct {
	verb     string // "pulling", "pushing"
	ref      string // the full reference
	host     string // the registry
	offered  bool   // credentials were sent
	resolved bool   // the reference was resolved (pull: the manifest exists)
	platform string // the platform asked for
	certs    string // where the registry's CA certificate would be read
}

// explain turns an error from a registry conversation into one line a user
// can act on. Errors the user can fix are api.InvalidArgument.
func (f failure) explain(err error) error {
	var status remoteerrors.ErrUnexpectedStatus
	hasStatus := errors.As(err, &status)
	var pe *platformError
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s %s interrupted: %w", f.verb, f.ref, err)
	case hasStatus && status.StatusCode == 401, errors.Is(err, docker.ErrInvalidAuthorization), errors.Is(err, ErrUnauthorized):
		if f.offered {
			return api.Invalidf("%s %s: unauthorized: %s refused the stored credentials: log in again with 'lumper login %s'", f.verb, f.ref, f.host, f.host)
		}
		if f.verb == "pulling" {
			return api.Invalidf("%s %s: access denied: the repository does not exist or needs a login: 'lumper login %s'", f.verb, f.ref, f.host)
		}
		return api.Invalidf("%s %s: authentication required: log in with 'lumper login %s'", f.verb, f.ref, f.host)
	case hasStatus && status.StatusCode >= 500:
		return api.Invalidf("%s %s: registry %s failed: %s", f.verb, f.ref, f.host, status.Status)
	case hasStatus && status.StatusCode == 403:
		return api.Invalidf("%s %s: denied: %s does not allow this account to %s it", f.verb, f.ref, f.host, strings.TrimSuffix(f.verb, "ing"))
	case errors.As(err, &pe):
		return api.Invalidf("%s %s: %v", f.verb, f.ref, pe)
	case errdefs.IsNotFound(err) && strings.Contains(err.Error(), "no match for platform"):
		return api.Invalidf("%s %s: the image has no variant for platform %s", f.verb, f.ref, f.platform)
	case errdefs.IsNotFound(err) && f.verb == "pulling" && !f.resolved:
		return api.Invalidf("%s %s: not found: %s has no such repository or tag", f.verb, f.ref, f.host)
	case isDigestMismatch(err):
		return api.Invalidf("%s %s: the registry sent content that does not match its digest (%s): nothing was stored", f.verb, f.ref, mismatchDetail(err))
	}
	if cause, ok := netCause(err); ok {
		return api.Invalidf("%s %s: cannot reach registry %s: %s", f.verb, f.ref, f.host, cause)
	}
	if hint, ok := tlsHint(err, f.host, f.certs); ok {
		return api.Invalidf("%s %s: %s", f.verb, f.ref, hint)
	}
	return fmt.Errorf("%s %s: %w", f.verb, f.ref, err)
}

// tlsHint explains a registry that does not speak (verifiable) HTTPS.
// certs is where the host's CA certificate would be read.
func tlsHint(err error, host, certs string) (string, bool) {
	var certErr *tls.CertificateVerificationError
	var status remoteerrors.ErrUnexpectedStatus
	switch {
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("%s speaks plain HTTP: allow it with --insecure-registry %s", host, host), true
	case errors.As(err, &certErr):
		return fmt.Sprintf("the certificate of %s cannot be verified (%v): trust its CA by putting it in %s (or a hosts.toml beside it), or allow it with --insecure-registry %s", host, certErr.Err, certs, host), true
	case errors.As(err, &status) && status.StatusCode == 400 && docker.IsLocalhost(host):
		// Go's TLS servers answer plain HTTP with 400.
		return fmt.Sprintf("%s answered plain HTTP with %s: if it speaks HTTPS, trust its CA by putting it in %s (or a hosts.toml beside it), or allow it with --insecure-registry %s", host, status.Status, certs, host), true
	}
	return "", false
}

// interrupted reports whether a transfer stopped because it was cancelled or
// the connection failed, so that a retry can go on from where it stopped.
func interrupted(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	_, ok := netCause(err)
	return ok
}

func isDigestMismatch(err error) bool {
	if !errdefs.IsFailedPrecondition(err) && !errdefs.IsInvalidArgument(err) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "unexpected commit digest") || strings.Contains(msg, "unexpected commit size")
}

// mismatchDetail keeps "unexpected commit digest X, expected Y" of the error.
func mismatchDetail(err error) string {
	msg := err.Error()
	i := strings.Index(msg, "unexpected commit")
	msg = msg[i:]
	if j := strings.Index(msg, ": "); j > 0 {
		msg = msg[:j]
	}
	return msg
}

// netCause says why a registry could not be reached, if that is the error.
func netCause(err error) (string, bool) {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "no such host " + dnsErr.Name, true
		}
		return dnsErr.Error(), true
	case errors.As(err, &opErr):
		if opErr.Timeout() {
			return "timed out", true
		}
		return opErr.Err.Error(), true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "timed out", true
	}
	return "", false
}
