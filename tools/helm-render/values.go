package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/ghodss/yaml"
)

// readValuesFile reads a YAML (or JSON) values file into a map; numbers become float64, as in
// helm, which goes through JSON too. A missing file is an empty map when optional.
func readValuesFile(path string, optional bool) (map[string]interface{}, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		if optional && os.IsNotExist(err) {
			return map[string]interface{}{}, nil
		}
		return nil, err
	}
	var out map[string]interface{}
	if err := yaml.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %v", path, err)
	}
	if out == nil {
		out = map[string]interface{}{}
	}
	return out, nil
}

// releaseValues merges the user's values (files in order, then --set in order) over the chart's
// defaults, then each subchart's defaults under its name, with `global` passed down.
func releaseValues(c *chart, opts options) (map[string]interface{}, error) {
	user := map[string]interface{}{}
	for _, file := range opts.valueFiles {
		vals, err := readValuesFile(file, false)
		if err != nil {
			return nil, err
		}
		user = mergeMaps(user, vals)
	}
	for _, s := range opts.sets {
		if err := applySet(user, s.expr, s.asString); err != nil {
			return nil, fmt.Errorf("failed parsing --set data: %v", err)
		}
	}
	return coalesceChart(c, user), nil
}

func coalesceChart(c *chart, vals map[string]interface{}) map[string]interface{} {
	out := coalesce(vals, c.values)
	global, _ := out["global"].(map[string]interface{})
	for _, sub := range c.subcharts {
		subVals, _ := out[sub.name].(map[string]interface{})
		if subVals == nil {
			subVals = map[string]interface{}{}
		}
		if global != nil {
			subGlobal, _ := subVals["global"].(map[string]interface{})
			subVals["global"] = mergeMaps(subGlobal, global)
		}
		out[sub.name] = coalesceChart(sub, subVals)
	}
	return out
}

// mergeMaps returns over merged into a copy of base: maps merge recursively, anything else in
// over replaces (a null too: it deletes the default later, in coalesce).
func mergeMaps(base, over map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if bm, ok := out[k].(map[string]interface{}); ok {
			if om, ok := v.(map[string]interface{}); ok {
				out[k] = mergeMaps(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// coalesce fills what the user did not set from the defaults: maps merge recursively, a user
// value wins over a default, a user null removes the default.
func coalesce(user, defaults map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(user)+len(defaults))
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range user {
		if v == nil {
			delete(out, k)
			continue
		}
		um, uok := v.(map[string]interface{})
		dm, dok := out[k].(map[string]interface{})
		if uok && dok {
			out[k] = coalesce(um, dm)
			continue
		}
		if uok {
			out[k] = coalesce(um, nil) // drop nulls nested in a map that has no default
			continue
		}
		out[k] = v
	}
	return out
}

var integer = regexp.MustCompile(`^[-+]?(0|[1-9][0-9]*)$`)

// applySet applies `a.b=v,c={x,y}` as helm's --set does (without list indexes or escapes):
// true, false, null and integers are typed unless asString; `{x,y}` is a list.
func applySet(into map[string]interface{}, expr string, asString bool) error {
	for _, pair := range splitTop(expr) {
		key, raw, ok := strings.Cut(pair, "=")
		if !ok || key == "" {
			return fmt.Errorf("key %q has no value", pair)
		}
		var value interface{}
		if strings.HasPrefix(raw, "{") && strings.HasSuffix(raw, "}") {
			list := []interface{}{}
			for _, item := range strings.Split(raw[1:len(raw)-1], ",") {
				if item != "" {
					list = append(list, scalar(item, asString))
				}
			}
			value = list
		} else {
			value = scalar(raw, asString)
		}
		path := strings.Split(key, ".")
		node := into
		for _, part := range path[:len(path)-1] {
			next, ok := node[part].(map[string]interface{})
			if !ok {
				next = map[string]interface{}{}
				node[part] = next
			}
			node = next
		}
		node[path[len(path)-1]] = value
	}
	return nil
}

// splitTop splits on commas outside braces.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func scalar(s string, asString bool) interface{} {
	if asString {
		return s
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if integer.MatchString(s) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	return s
}
