package rdsctl

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"

	"sigs.k8s.io/yaml"
)

// output is the -o/--output flag of the commands that print a report.
type output struct{ format string }

// outputFlag adds -o/--output to fs.
func outputFlag(fs *flag.FlagSet) *output {
	o := &output{format: "text"}
	fs.StringVar(&o.format, "output", "text", "Output format: text, json or yaml.")
	fs.StringVar(&o.format, "o", "text", "Short for --output.")
	return o
}

// check refuses a format the commands do not write.
func (o *output) check() error {
	if !slices.Contains([]string{"text", "json", "yaml"}, o.format) {
		return wrongUse("--output must be text, json or yaml, not %q", o.format)
	}
	return nil
}

// print writes v as the format says: JSON, YAML, or text for a person.
func (o *output) print(w io.Writer, v any, text func() error) error {
	switch o.format {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return text()
}
