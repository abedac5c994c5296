package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// applyProfile reads the configuration file and sets, from the chosen
// profile, every flag the command line did not set. The file is INI-like:
//
//	# comment
//	[prod]
//	url = mqtt://broker-a:1883
//	url = mqtt://broker-b:1883
//	username = billing
//	password-file = ~/.config/mqttkit/prod.pass
//
// Keys are long flag names; a repeated key repeats the flag. A key that no
// command has is an error; one this command lacks (group for pub) is
// skipped, so one profile serves every command. Passwords are not allowed
// in the file: use password-file.
func applyProfile(cmd *cobra.Command, file, profile string) error {
	explicit := file != ""
	if !explicit {
		file = os.Getenv("MQTTKIT_CONFIG")
		explicit = file != ""
	}
	if !explicit {
		dir, err := os.UserConfigDir()
		if err != nil {
			return nil
		}
		file = filepath.Join(dir, "mqttkit", "config")
	}
	f, err := os.Open(expandHome(file))
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			if profile != "" {
				return usageErr(cmd, "--profile %s: no configuration file (looked for %s); pass --config FILE", profile, file)
			}
			return nil
		}
		return usageErr(cmd, "--config: %v", err)
	}
	defer f.Close()
	want := profile
	if want == "" {
		want = "default"
	}
	known := knownFlags(cmd.Root())
	found := false
	section := ""
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' || text[0] == ';' {
			continue
		}
		if strings.HasPrefix(text, "[") && strings.HasSuffix(text, "]") {
			section = strings.TrimSpace(text[1 : len(text)-1])
			found = found || section == want
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		where := fmt.Sprintf("%s:%d", file, line)
		switch {
		case !ok:
			return usageErr(cmd, "%s: write settings as name = value", where)
		case section == "":
			return usageErr(cmd, "%s: setting %q is outside a [profile] section", where, key)
		case key == "pw" || key == "password":
			return usageErr(cmd, "%s: passwords do not belong in the configuration file; use password-file = PATH", where)
		case key == "config" || key == "profile" || key == "help":
			return usageErr(cmd, "%s: %q cannot be set in the configuration file", where, key)
		case !known[key]:
			return usageErr(cmd, "%s: unknown setting %q; use long flag names such as host, url, username, password-file", where, key)
		}
		if section != want {
			continue
		}
		fl := cmd.Flags().Lookup(key)
		if fl == nil || fl.Changed {
			continue
		}
		// Value.Set leaves fl.Changed false: the command line still wins
		// over the profile, and a repeated key appends to a repeatable flag.
		if err := fl.Value.Set(value); err != nil {
			return usageErr(cmd, "%s: %s = %s: %v", where, key, value, err)
		}
	}
	if err := sc.Err(); err != nil {
		return usageErr(cmd, "--config %s: %v", file, err)
	}
	if profile != "" && !found {
		return usageErr(cmd, "--profile %s: no [%s] section in %s", profile, profile, file)
	}
	return nil
}

// knownFlags is the set of long flag names of every command.
func knownFlags(root *cobra.Command) map[string]bool {
	known := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return known
}
