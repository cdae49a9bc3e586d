package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Docker's credential helper protocol: the program docker-credential-NAME is
// run with one argument, get, store or erase. get and erase read the server
// URL on stdin; store reads {"ServerURL","Username","Secret"}; get prints the
// same object. A helper that knows no credentials for a server says so with
// the message below and a non-zero exit.
const helperNotFoundMsg = "credentials not found in native keychain"

// tokenUsername marks an identity token stored in a helper.
const tokenUsername = "<token>"

var errHelperNotFound = errors.New(helperNotFoundMsg)

type helperCreds struct {
	ServerURL string `json:"ServerURL"`
	Username  string `json:"Username"`
	Secret    string `json:"Secret"`
}

func helperGet(ctx context.Context, helper, server string) (Credentials, error) {
	out, err := runHelper(ctx, helper, "get", []byte(server))
	if err != nil {
		return Credentials{}, err
	}
	var hc helperCreds
	if err := json.Unmarshal(out, &hc); err != nil {
		return Credentials{}, fmt.Errorf("reading the answer of docker-credential-%s: %w", helper, err)
	}
	if hc.Username == tokenUsername {
		return Credentials{IdentityToken: hc.Secret}, nil
	}
	return Credentials{Username: hc.Username, Secret: hc.Secret}, nil
}

func helperStore(ctx context.Context, helper, server string, cr Credentials) error {
	hc := helperCreds{ServerURL: server, Username: cr.Username, Secret: cr.Secret}
	if cr.IdentityToken != "" {
		hc.Username, hc.Secret = tokenUsername, cr.IdentityToken
	}
	in, err := json.Marshal(hc)
	if err != nil {
		return fmt.Errorf("encoding credentials: %w", err)
	}
	_, err = runHelper(ctx, helper, "store", in)
	return err
}

func helperErase(ctx context.Context, helper, server string) error {
	_, err := runHelper(ctx, helper, "erase", []byte(server))
	if errors.Is(err, errHelperNotFound) {
		return nil
	}
	return err
}

func runHelper(ctx context.Context, helper, action string, in []byte) ([]byte, error) {
	prog := "docker-credential-" + helper
	cmd := exec.CommandContext(ctx, prog, action)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stdout.String())
		if msg == "" {
			msg = strings.TrimSpace(stderr.String())
		}
		if strings.Contains(msg, helperNotFoundMsg) {
			return nil, errHelperNotFound
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return nil, fmt.Errorf("running credential helper %s: %w", prog, err)
		}
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("credential helper %s %s: %s", prog, action, msg)
	}
	return stdout.Bytes(), nil
}
