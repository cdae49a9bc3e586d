package commands

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lumper/lumper/pkg/registry"
)

// LoginOptions are the flags of `lumper login`.
type LoginOptions struct {
	Global        *GlobalOptions
	Server        string
	Username      string
	Password      string
	PasswordStdin bool
	In            io.Reader
	Out           io.Writer
	Err           io.Writer
}

func newLoginCmd(g *GlobalOptions) *cobra.Command {
	o := &LoginOptions{Global: g}
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry (Docker Hub when no server is given)",
		Long: `Log in to a registry. The credentials are checked against the registry and
stored where Docker keeps them: in the credential helper ~/.docker/config.json
names (credsStore, credHelpers), else in that file ($DOCKER_CONFIG/config.json
when DOCKER_CONFIG is set).`,
		Example: `  lumper login -u alice localhost:5000
  echo "$TOKEN" | lumper login -u alice --password-stdin ghcr.io`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Server = args[0]
			}
			o.In, o.Out, o.Err = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			if o.PasswordStdin && o.Password != "" {
				return usageErrorf(cmd, "--password and --password-stdin cannot be used together")
			}
			if o.PasswordStdin && o.Username == "" {
				return usageErrorf(cmd, "--password-stdin needs --username")
			}
			return runOrHook(cmd.Context(), o.Global, o, func(ctx context.Context, o *LoginOptions) error { return runLogin(ctx, cmd, o) })
		},
	}
	cmd.Flags().StringVarP(&o.Username, "username", "u", "", "user name")
	cmd.Flags().StringVarP(&o.Password, "password", "p", "", "password or token (prefer --password-stdin)")
	cmd.Flags().BoolVar(&o.PasswordStdin, "password-stdin", false, "read the password or token from stdin")
	return cmd
}

func runLogin(ctx context.Context, cmd *cobra.Command, o *LoginOptions) error {
	if o.Password != "" {
		fmt.Fprintln(o.Err, "WARNING! Using --password on the command line is insecure: use --password-stdin.")
	}
	if o.PasswordStdin {
		b, err := io.ReadAll(o.In)
		if err != nil {
			return fmt.Errorf("reading the password from stdin: %w", err)
		}
		o.Password = strings.TrimRight(string(b), "\r\n")
		if o.Password == "" {
			return usageErrorf(cmd, "--password-stdin: stdin is empty")
		}
	}
	if o.Username == "" || o.Password == "" {
		if err := o.prompt(); err != nil {
			return usageErrorf(cmd, "%v", err)
		}
	}
	if _, err := registry.Login(ctx, o.Global.registryOptions(), o.Server, registry.Credentials{Username: o.Username, Secret: o.Password}); err != nil {
		return err
	}
	_, err := fmt.Fprintln(o.Out, "Login Succeeded")
	return err
}

// prompt asks for what is missing on the terminal.
func (o *LoginOptions) prompt() error {
	f, ok := o.In.(*os.File)
	if !ok || !o.Global.IO.InTTY {
		return fmt.Errorf("give --username and --password-stdin (or --password): there is no terminal to ask on")
	}
	if o.Username == "" {
		fmt.Fprint(o.Err, "Username: ")
		line, err := bufio.NewReader(f).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("reading the user name: %w", err)
		}
		o.Username = strings.TrimSpace(line)
		if o.Username == "" {
			return fmt.Errorf("a user name is needed")
		}
	}
	if o.Password == "" {
		fmt.Fprint(o.Err, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(o.Err)
		if err != nil {
			return fmt.Errorf("reading the password: %w", err)
		}
		o.Password = string(b)
		if o.Password == "" {
			return fmt.Errorf("a password is needed")
		}
	}
	return nil
}

func newLogoutCmd(g *GlobalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "logout [SERVER]",
		Short:   "Log out from a registry (Docker Hub when no server is given)",
		Example: `  lumper logout localhost:5000`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := ""
			if len(args) == 1 {
				server = args[0]
			}
			key, found, err := registry.Logout(cmd.Context(), g.registryOptions(), server)
			if err != nil {
				return err
			}
			if !found {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "Not logged in to %s\n", key)
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Removing login credentials for %s\n", key)
			return err
		},
	}
}
