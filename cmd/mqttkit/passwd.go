package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mqttkit/mqttkit/broker"
)

func newPasswdCmd() *cobra.Command {
	var passwordFile string
	cmd := &cobra.Command{
		Use:   "passwd FILE USER",
		Short: "Add USER to the users file FILE, or change their password",
		Long: `passwd adds a user to a users file (name:bcrypt-hash lines), creating the
file with mode 0600. The password is never taken from the command line:
it comes from --password-file, $MQTTKIT_PASSWORD, a prompt (asked twice)
on a terminal, or the first line of stdin.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := newPassword(passwordFile)
			if err != nil {
				return err
			}
			if err := broker.AddUser(args[0], args[1], pw); err != nil {
				return failure("broker passwd: %v", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "broker passwd: user %s saved in %s\n", args[1], args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the password from this file")
	return cmd
}

// newPassword reads the new password from the first source available.
func newPassword(file string) (string, error) {
	switch {
	case file != "":
		b, err := os.ReadFile(expandHome(file))
		if err != nil {
			return "", failure("broker passwd: --password-file: %v", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	case os.Getenv("MQTTKIT_PASSWORD") != "":
		return os.Getenv("MQTTKIT_PASSWORD"), nil
	case term.IsTerminal(int(os.Stdin.Fd())):
		p1, err := promptPassword("New password: ")
		if err != nil {
			return "", failure("broker passwd: reading the password: %v", err)
		}
		p2, err := promptPassword("Repeat it: ")
		if err != nil {
			return "", failure("broker passwd: reading the password: %v", err)
		}
		if p1 != p2 {
			return "", failure("broker passwd: the two passwords differ; run it again")
		}
		return p1, nil
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", failure("broker passwd: no password: give --password-file, MQTTKIT_PASSWORD, or a line on stdin")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
