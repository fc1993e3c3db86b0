// kubecheck decodes Kubernetes objects with the API server's own Go types in strict mode, so
// unknown or misspelt fields and duplicate keys are errors (the OpenAPI schemas used by
// helm/test/lib/validate.ts allow unknown fields). Input: one JSON object per line on stdin.
// Output: one JSON line per object: {"index", "kind", "name", "status": "ok"|"unknown"|"invalid", "error"}.
// Kinds the client-go scheme does not know (CRDs such as ServiceMonitor) are reported "unknown".
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
)

type result struct {
	Index  int    `json:"index"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func main() {
	decoder := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	for index := 0; in.Scan(); index++ {
		line := in.Bytes()
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		r := result{Index: index}
		if err := json.Unmarshal(line, &meta); err != nil {
			r.Status, r.Error = "invalid", err.Error()
			_ = out.Encode(r)
			continue
		}
		r.Kind, r.Name = meta.Kind, meta.Metadata.Name
		gvk := schema.FromAPIVersionAndKind(meta.APIVersion, meta.Kind)
		if !scheme.Scheme.Recognizes(gvk) {
			r.Status = "unknown"
			_ = out.Encode(r)
			continue
		}
		if _, _, err := decoder.Decode(line, &gvk, nil); err != nil {
			r.Status, r.Error = "invalid", err.Error()
		} else {
			r.Status = "ok"
		}
		_ = out.Encode(r)
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
