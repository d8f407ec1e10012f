package main

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/ghodss/yaml"
)

// maxIncludeDepth bounds `include` recursion, as helm does.
const maxIncludeDepth = 1000

// engine holds one template set for a chart and its subcharts: every `define` is visible from
// every file, as in helm.
type engine struct {
	root  *template.Template
	depth map[string]int
}

type renderResult struct {
	files map[string]string // rendered manifests by template name
	notes string            // the top chart's NOTES.txt, rendered
}

func newEngine() *engine {
	e := &engine{depth: map[string]int{}}
	funcs := sprig.TxtFuncMap()
	// helm removes these: a chart must not read the environment of whoever renders it.
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["include"] = e.include
	funcs["tpl"] = e.tpl
	funcs["required"] = required
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil // no cluster: what `helm template` returns
	}
	// missingkey=zero plus the "<no value>" removal below is helm's non-strict mode.
	e.root = template.New("gotpl").Funcs(funcs).Option("missingkey=zero")
	return e
}

func render(top *chart, values map[string]interface{}, opts options) (renderResult, error) {
	e := newEngine()
	refs := top.templateNames("")
	names := sortedKeys(refs)
	for _, name := range names {
		ref := refs[name]
		if _, err := e.root.New(name).Parse(ref.owner.templates[ref.rel]); err != nil {
			return renderResult{}, err
		}
	}
	result := renderResult{files: map[string]string{}}
	for _, name := range names {
		base := path.Base(name)
		isNotes := base == "NOTES.txt"
		if strings.HasPrefix(base, "_") || (isNotes && name != top.name+"/templates/NOTES.txt") {
			continue
		}
		owner := refs[name].owner
		data := map[string]interface{}{
			"Values":       scopeValues(top, owner, values),
			"Release":      releaseObject(opts),
			"Chart":        owner.chartObject(),
			"Files":        owner.files,
			"Capabilities": capabilities(opts),
			"Template": map[string]interface{}{
				"Name":     name,
				"BasePath": name[:strings.LastIndex(name, "/templates/")+len("/templates")],
			},
		}
		var buf bytes.Buffer
		if err := e.root.ExecuteTemplate(&buf, name, data); err != nil {
			return renderResult{}, err
		}
		out := strings.ReplaceAll(buf.String(), "<no value>", "")
		if isNotes {
			result.notes = out
		} else {
			result.files[name] = out
		}
	}
	return result, nil
}

// scopeValues is `.Values` for a template: the top chart's values, or a subchart's section.
func scopeValues(top, owner *chart, values map[string]interface{}) map[string]interface{} {
	if owner == top {
		return values
	}
	for _, sub := range top.subcharts {
		subVals, _ := values[sub.name].(map[string]interface{})
		if sub == owner {
			return subVals
		}
		if found := scopeValues(sub, owner, subVals); found != nil {
			return found
		}
	}
	return nil
}

func releaseObject(opts options) map[string]interface{} {
	return map[string]interface{}{
		"Name": opts.release, "Namespace": opts.namespace, "Service": "Helm",
		"IsInstall": true, "IsUpgrade": false, "Revision": 1,
	}
}

// apiVersions is `.Capabilities.APIVersions`: the built-in groups only, as under `helm template`.
type apiVersions []string

// Has says whether a group/version (or group/version/Kind) is known.
func (a apiVersions) Has(v string) bool {
	for _, known := range a {
		if known == v || strings.HasPrefix(v, known+"/") {
			return true
		}
	}
	return false
}

func capabilities(opts options) map[string]interface{} {
	v := "v" + strings.TrimPrefix(opts.kubeVersion, "v")
	major, minor, _ := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	return map[string]interface{}{
		"KubeVersion": map[string]interface{}{"Version": v, "GitVersion": v, "Major": major, "Minor": minor},
		"APIVersions": apiVersions{"v1", "apps/v1", "batch/v1", "policy/v1", "networking.k8s.io/v1",
			"rbac.authorization.k8s.io/v1", "autoscaling/v2", "storage.k8s.io/v1"},
	}
}

// include renders a named template into a string, so that its output can be piped.
func (e *engine) include(name string, data interface{}) (string, error) {
	if e.depth[name] >= maxIncludeDepth {
		return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
	}
	e.depth[name]++
	defer func() { e.depth[name]-- }()
	var buf bytes.Buffer
	if err := e.root.ExecuteTemplate(&buf, name, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// tpl renders a string as a template, with every named template of the chart in reach.
func (e *engine) tpl(text string, data interface{}) (string, error) {
	clone, err := e.root.Clone()
	if err != nil {
		return "", err
	}
	name := "tpl"
	if m, ok := data.(map[string]interface{}); ok {
		if t, ok := m["Template"].(map[string]interface{}); ok {
			if n, ok := t["Name"].(string); ok {
				name = n + "#tpl"
			}
		}
	}
	t, err := clone.New(name).Parse(text)
	if err != nil {
		return "", fmt.Errorf("cannot parse template %q: %v", text, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("error during tpl function execution for %q: %v", text, err)
	}
	return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
}

// required fails the render with msg when v is nil or an empty string.
func required(msg string, v interface{}) (interface{}, error) {
	if v == nil {
		return v, errors.New(msg)
	}
	if s, ok := v.(string); ok && s == "" {
		return v, errors.New(msg)
	}
	return v, nil
}

// toYAML is helm's toYaml: sorted keys, no trailing newline, "" on error.
func toYAML(v interface{}) string {
	out, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

// fromYAML is helm's fromYaml: a map, or {"Error": message} when the text is not a YAML map.
func fromYAML(s string) map[string]interface{} {
	out := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &out); err != nil {
		out["Error"] = err.Error()
	}
	return out
}
