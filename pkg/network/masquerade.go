package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// masqueradeRule NATs a network's traffic to the world behind the host's
// address, as Docker's per-network POSTROUTING rule does.
func masqueradeRule(n *Network) []string {
	return []string{
		"-s", n.Subnet, "!", "-o", n.Bridge,
		"-m", "comment", "--comment", "lumper network " + n.Name,
		"-j", "MASQUERADE",
	}
}

// ensureMasquerade adds the network's rule unless it is there; the caller
// holds the network lock.
func ensureMasquerade(ctx context.Context, n *Network) error {
	if n.Internal {
		return nil // nothing leaves an internal network
	}
	rule := masqueradeRule(n)
	if err := iptables(ctx, append([]string{"-t", "nat", "-C", "POSTROUTING"}, rule...)...); err == nil {
		return nil
	} else if !errors.Is(err, errNoRule) {
		return err
	}
	return iptables(ctx, append([]string{"-t", "nat", "-A", "POSTROUTING"}, rule...)...)
}

// removeMasquerade deletes the network's rule (every copy of it).
func removeMasquerade(n *Network) error {
	rule := masqueradeRule(n)
	for {
		err := iptables(context.Background(), append([]string{"-t", "nat", "-D", "POSTROUTING"}, rule...)...)
		if errors.Is(err, errNoRule) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

var errNoRule = errors.New("no such rule")

// iptables runs iptables, waiting for the xtables lock like the CNI plugins
// do; exit status 1 is errNoRule (what -C and -D report for a missing rule).
func iptables(ctx context.Context, args ...string) error {
	path, err := exec.LookPath("iptables")
	if err != nil {
		return fmt.Errorf("iptables not found: install it (apt-get install iptables): %w", err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, append([]string{"--wait"}, args...)...)
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return errNoRule
	}
	return fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
}
