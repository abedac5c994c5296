package main

import (
	"errors"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
)

// node is one frame of the flame graph: a function called along one path,
// with the samples spent in it and below it.
type node struct {
	name     string
	value    int64
	children map[string]*node
}

func (n *node) child(name string) *node {
	c := n.children[name]
	if c == nil {
		if n.children == nil {
			n.children = map[string]*node{}
		}
		c = &node{name: name}
		n.children[name] = c
	}
	return c
}

// sorted returns the children by name, so that equal profiles draw the
// same picture.
func (n *node) sorted() []*node {
	out := make([]*node, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// build folds p's samples into a call tree, weighing each by the profile's
// last sample type (CPU time for a CPU profile) and expanding inlined
// calls.
func build(p *profile.Profile) (*node, string, error) {
	if len(p.SampleType) == 0 || len(p.Sample) == 0 {
		return nil, "", errors.New("the profile has no samples")
	}
	vi := len(p.SampleType) - 1
	root := &node{name: "all"}
	for _, s := range p.Sample {
		v := s.Value[vi]
		if v == 0 {
			continue
		}
		root.value += v
		n := root
		for i := len(s.Location) - 1; i >= 0; i-- {
			lines := s.Location[i].Line
			for j := len(lines) - 1; j >= 0; j-- {
				name := "?"
				if fn := lines[j].Function; fn != nil {
					name = shortName(fn.Name)
				}
				n = n.child(name)
				n.value += v
			}
		}
	}
	if root.value == 0 {
		return nil, "", errors.New("every sample is zero")
	}
	return root, p.SampleType[vi].Unit, nil
}

// shortName drops the module path of mqttkit's own functions and the
// directories of everyone else's, keeping package.Function.
func shortName(s string) string {
	s = strings.TrimPrefix(s, "github.com/mqttkit/mqttkit/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
