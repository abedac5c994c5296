package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
)

// reprint prints the table of the outcomes saved with -json, so that a
// table can be rendered again without measuring again.
func reprint(_ context.Context, o options) error {
	b, err := os.ReadFile(o.from)
	if err != nil {
		return err
	}
	var all []outcome
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var out outcome
		if err := dec.Decode(&out); err != nil {
			return fmt.Errorf("%s: %w", o.from, err)
		}
		all = append(all, out)
	}
	fmt.Print(renderTable(all))
	return nil
}
