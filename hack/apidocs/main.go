// Command apidocs writes the API reference (docs/api.md) from the generated CRD, so the
// reference always says what the types and their markers say and is never edited by hand.
//
//	go run ./hack/apidocs config/crd/bases/matrixmind.cloud_rdsdatabases.yaml config/crd/bases/matrixmind.cloud_databaseclasses.yaml > docs/api.md
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: apidocs CRD.yaml... > api.md")
		os.Exit(2)
	}
	if err := renderFiles(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// renderFiles writes the reference of each CRD file in paths, one after the other.
func renderFiles(w io.Writer, paths []string) error {
	for i, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := render(w, raw); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// render writes the reference of the CRD in raw.
func render(w io.Writer, raw []byte) error {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(raw, &crd); err != nil {
		return fmt.Errorf("parse the CRD: %w", err)
	}
	fmt.Fprintf(w, "# API reference: %s\n\n", crd.Spec.Names.Kind)
	fmt.Fprintf(w, "Generated from `%s` by `make manifests` (hack/apidocs); do not edit.\n", crd.Name)
	for _, v := range crd.Spec.Versions {
		fmt.Fprintf(w, "\n## %s/%s %s\n\n", crd.Spec.Group, v.Name, crd.Spec.Names.Kind)
		root := v.Schema.OpenAPIV3Schema
		for _, rule := range root.XValidations {
			fmt.Fprintf(w, "- Rule: %s\n", rule.Message)
		}
		for _, part := range []string{"spec", "status"} {
			prop, ok := root.Properties[part]
			if !ok {
				continue
			}
			fmt.Fprintf(w, "\n### %s\n\n%s\n\n", part, oneLine(prop.Description))
			for _, rule := range prop.XValidations {
				fmt.Fprintf(w, "- Refused: %s\n", rule.Message)
			}
			if len(prop.XValidations) > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintln(w, "| field | type | default | description |")
			fmt.Fprintln(w, "| --- | --- | --- | --- |")
			fields(w, part, prop)
		}
	}
	return nil
}

// fields writes one table row per field below s, depth first, in name order.
func fields(w io.Writer, path string, s apiextensionsv1.JSONSchemaProps) {
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := s.Properties[name]
		full := path + "." + name
		def := ""
		if p.Default != nil {
			def = "`" + string(p.Default.Raw) + "`"
		}
		desc := oneLine(p.Description)
		if len(p.Enum) > 0 {
			var vals []string
			for _, e := range p.Enum {
				vals = append(vals, string(e.Raw))
			}
			desc += " One of: " + strings.Join(vals, ", ") + "."
		}
		for _, rule := range append(p.XValidations, itemRules(p)...) {
			desc += " Refused: " + rule.Message + "."
		}
		fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", full, typeOf(p), def, escape(desc))
		if len(p.Properties) > 0 {
			fields(w, full, p)
		}
		if p.Items != nil && p.Items.Schema != nil && len(p.Items.Schema.Properties) > 0 {
			fields(w, full+"[]", *p.Items.Schema)
		}
	}
}

// itemRules returns the validation rules of a map's or list's values.
func itemRules(p apiextensionsv1.JSONSchemaProps) []apiextensionsv1.ValidationRule {
	if p.AdditionalProperties != nil && p.AdditionalProperties.Schema != nil {
		return p.AdditionalProperties.Schema.XValidations
	}
	return nil
}

// typeOf names a field's type the way kubectl explain does.
func typeOf(p apiextensionsv1.JSONSchemaProps) string {
	switch {
	case p.Type == "array" && p.Items != nil && p.Items.Schema != nil:
		return "[]" + typeOf(*p.Items.Schema)
	case p.Type == "object" && p.AdditionalProperties != nil && p.AdditionalProperties.Schema != nil:
		return "map[string]" + typeOf(*p.AdditionalProperties.Schema)
	case p.Type == "":
		return "any"
	}
	return p.Type
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func escape(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}
