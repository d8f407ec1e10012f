// Command helm-render renders a Helm chart as `helm template` does, for the tests of machines
// without helm. It is Go's text/template with the sprig functions plus the few helm extras the
// poolpilot chart uses: values merging (-f, --set, --set-string; null deletes a default),
// `include`, `tpl`, `toYaml`, `fromYaml`, `required`, `lookup` (always empty, as under
// `helm template`), `.Files.Get`, `.Release`, `.Chart`, `.Template`, `.Capabilities`, the chart's
// kubeVersion constraint, and subcharts unpacked under charts/ (no conditions, no tags).
//
//	helm-render [NAME] CHART [-n NAMESPACE] [-f VALUES]... [--set K=V]... [--set-string K=V]...
//	            [--kube-version V] [--notes-out FILE]
//
// It prints every manifest as helm does (`---`, then `# Source: <chart>/templates/<file>`), sorted
// by helm's install order, and exits 1 with helm's kind of message when a template fails (`fail`,
// `required`, a parse error) or renders invalid YAML; 2 on a usage error. It does not validate
// values.schema.json (the tests do that with ajv) and has no hooks, tests or .tgz subcharts.
//
// Build (offline, Debian's Go packages): GO111MODULE=off GOPATH=/usr/share/gocode go build
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

type setArg struct {
	expr     string
	asString bool
}

type options struct {
	release     string
	namespace   string
	chartDir    string
	valueFiles  []string
	sets        []setArg
	kubeVersion string
	notesOut    string
}

const usage = `usage: helm-render [NAME] CHART [-n NAMESPACE] [-f VALUES]... [--set K=V]... [--set-string K=V]...
                   [--kube-version V] [--notes-out FILE]`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "helm-render: %v\n%s\n", err, usage)
		return 2
	}
	chart, err := loadChart(opts.chartDir)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	if err := checkKubeVersion(chart, opts.kubeVersion); err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	values, err := releaseValues(chart, opts)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	rendered, err := render(chart, values, opts)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	docs, err := manifests(rendered.files)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	for _, d := range docs {
		fmt.Fprintf(stdout, "---\n# Source: %s\n%s\n", d.source, d.content)
	}
	if opts.notesOut != "" {
		if err := os.WriteFile(opts.notesOut, []byte(rendered.notes), 0o644); err != nil {
			fmt.Fprintf(stderr, "Error: %v\n", err)
			return 1
		}
	}
	return 0
}

// parseArgs reads helm template's arguments: an optional release name, the chart directory, and
// flags in any place, each as `--flag value` or `--flag=value`.
func parseArgs(args []string) (options, error) {
	opts := options{release: "release-name", namespace: "default", kubeVersion: "v1.27.0"}
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "template" && i == 0 {
			continue // `helm-render template NAME CHART` reads like helm
		}
		if !strings.HasPrefix(arg, "-") {
			positional = append(positional, arg)
			continue
		}
		name, value, inline := strings.Cut(arg, "=")
		if !inline {
			if i+1 >= len(args) {
				return opts, fmt.Errorf("%s needs a value", name)
			}
			i++
			value = args[i]
		}
		switch name {
		case "-n", "--namespace":
			opts.namespace = value
		case "-f", "--values":
			opts.valueFiles = append(opts.valueFiles, value)
		case "--set":
			opts.sets = append(opts.sets, setArg{expr: value})
		case "--set-string":
			opts.sets = append(opts.sets, setArg{expr: value, asString: true})
		case "--kube-version":
			opts.kubeVersion = value
		case "--notes-out":
			opts.notesOut = value
		default:
			return opts, fmt.Errorf("unknown flag %s", name)
		}
	}
	switch len(positional) {
	case 1:
		opts.chartDir = positional[0]
	case 2:
		opts.release, opts.chartDir = positional[0], positional[1]
	default:
		return opts, fmt.Errorf("expected [NAME] CHART, got %d arguments", len(positional))
	}
	return opts, nil
}
