package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Masterminds/semver" // Debian's v3, by its GOPATH path
	"github.com/ghodss/yaml"
)

// chart is a chart directory as loaded: its metadata, default values, templates (by path inside
// the chart, such as templates/deployment.yaml), other files (for .Files) and subcharts.
type chart struct {
	meta      map[string]interface{}
	name      string
	values    map[string]interface{}
	templates map[string]string
	files     chartFiles
	subcharts []*chart
}

// chartFiles is `.Files`: the chart's files outside templates/, by path inside the chart.
type chartFiles map[string][]byte

// Get returns a file's content, or "" when there is no such file (as helm does).
func (f chartFiles) Get(name string) string { return string(f[name]) }

// GetBytes returns a file's content as bytes, nil when there is no such file.
func (f chartFiles) GetBytes(name string) []byte { return f[name] }

func loadChart(dir string) (*chart, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a chart: %v", dir, err)
	}
	var meta map[string]interface{}
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("%s/Chart.yaml: %v", dir, err)
	}
	c := &chart{meta: meta, templates: map[string]string{}, files: chartFiles{}}
	c.name, _ = meta["name"].(string)
	if c.name == "" {
		return nil, fmt.Errorf("%s/Chart.yaml: validation: chart.metadata.name is required", dir)
	}
	if v, _ := meta["apiVersion"].(string); v != "v2" {
		return nil, fmt.Errorf("%s/Chart.yaml: apiVersion must be v2, got %q", dir, v)
	}
	if c.values, err = readValuesFile(filepath.Join(dir, "values.yaml"), true); err != nil {
		return nil, err
	}
	ignore := readHelmignore(dir)
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if ignored(ignore, rel, info.IsDir()) {
			if info.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if info.IsDir() {
			if rel == "charts" {
				return filepath.SkipDir // loaded below, one chart each
			}
			return nil
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(rel, "templates/"):
			c.templates[rel] = string(content)
		case rel != "Chart.yaml" && rel != "values.yaml":
			c.files[rel] = content
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	subdirs, _ := os.ReadDir(filepath.Join(dir, "charts"))
	for _, entry := range subdirs {
		if !entry.IsDir() {
			continue
		}
		sub, err := loadChart(filepath.Join(dir, "charts", entry.Name()))
		if err != nil {
			return nil, err
		}
		c.subcharts = append(c.subcharts, sub)
	}
	return c, nil
}

// chartObject is `.Chart`: the metadata under helm's field names (name -> Name, apiVersion -> APIVersion).
func (c *chart) chartObject() map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range c.meta {
		switch k {
		case "apiVersion":
			out["APIVersion"] = v
		default:
			out[strings.ToUpper(k[:1])+k[1:]] = v
		}
	}
	return out
}

// templateRef is one template file: the chart it belongs to and its path inside that chart.
type templateRef struct {
	owner *chart
	rel   string
}

// templateNames lists the chart's templates and its subcharts', as helm names them
// (<chart>/templates/x.yaml, <chart>/charts/<sub>/templates/x.yaml).
func (c *chart) templateNames(prefix string) map[string]templateRef {
	out := map[string]templateRef{}
	for rel := range c.templates {
		out[prefix+c.name+"/"+rel] = templateRef{owner: c, rel: rel}
	}
	for _, sub := range c.subcharts {
		for name, ref := range sub.templateNames(prefix + c.name + "/charts/") {
			out[name] = ref
		}
	}
	return out
}

func sortedKeys(m map[string]templateRef) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkKubeVersion applies the chart's kubeVersion constraint to the version rendered for.
func checkKubeVersion(c *chart, kubeVersion string) error {
	constraint, _ := c.meta["kubeVersion"].(string)
	if constraint == "" {
		return nil
	}
	cons, err := semver.NewConstraint(constraint)
	if err != nil {
		return fmt.Errorf("Chart.yaml: kubeVersion %q: %v", constraint, err)
	}
	v, err := semver.NewVersion(kubeVersion)
	if err != nil {
		return fmt.Errorf("--kube-version %q: %v", kubeVersion, err)
	}
	if !cons.Check(v) {
		return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", constraint, kubeVersion)
	}
	return nil
}

// readHelmignore reads .helmignore's patterns (blank lines and # comments skipped).
func readHelmignore(dir string) []string {
	raw, err := os.ReadFile(filepath.Join(dir, ".helmignore"))
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// ignored matches a path against .helmignore patterns: a pattern with a slash matches the whole
// relative path, one without matches the base name; a trailing slash matches directories only.
// Negations (!) are not supported.
func ignored(patterns []string, rel string, isDir bool) bool {
	if rel == ".helmignore" {
		return true
	}
	for _, p := range patterns {
		dirOnly := strings.HasSuffix(p, "/")
		p = strings.TrimSuffix(p, "/")
		if dirOnly && !isDir {
			continue
		}
		target := filepath.Base(rel)
		if strings.Contains(p, "/") {
			target = rel
			p = strings.TrimPrefix(p, "/")
		}
		if ok, _ := filepath.Match(p, target); ok {
			return true
		}
	}
	return false
}
