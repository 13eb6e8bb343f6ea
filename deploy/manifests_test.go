// Package deploy holds the Kubernetes manifests; its test decodes every
// manifest strictly into the Kubernetes API types, so a misspelt or
// misplaced field fails without kubectl or a cluster.
package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// inferenceService mirrors the fields of KServe's
// serving.kserve.io/v1beta1 InferenceService that the manifests use
// (KServe's Go module pulls in Knative and most of Kubernetes, so its
// types are not imported): the predictor is a PodSpec plus KServe's
// component extension fields.
type inferenceService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Predictor struct {
			corev1.PodSpec       `json:",inline"`
			MinReplicas          *int32 `json:"minReplicas,omitempty"`
			MaxReplicas          int32  `json:"maxReplicas,omitempty"`
			CanaryTrafficPercent *int64 `json:"canaryTrafficPercent,omitempty"`
			ScaleTarget          *int32 `json:"scaleTarget,omitempty"`
			ScaleMetric          string `json:"scaleMetric,omitempty"`
		} `json:"predictor"`
	} `json:"spec"`
}

// decodeStrict converts a YAML document to JSON and decodes it into v,
// refusing unknown fields.
func decodeStrict(doc []byte, v any) error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// documents splits a multi-document YAML file.
func documents(data []byte) [][]byte {
	var out [][]byte
	for _, d := range bytes.Split(data, []byte("\n---")) {
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			out = append(out, d)
		}
	}
	return out
}

func stripComments(d []byte) []byte {
	var b bytes.Buffer
	for line := range strings.SplitSeq(string(d), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.Bytes()
}

// object decodes a document into the API type of its apiVersion and kind.
func object(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var v any
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		v = &appsv1.Deployment{}
	case "v1 Service":
		v = &corev1.Service{}
	case "v1 PersistentVolumeClaim":
		v = &corev1.PersistentVolumeClaim{}
	case "batch/v1 Job":
		v = &batchv1.Job{}
	case "autoscaling/v2 HorizontalPodAutoscaler":
		v = &autoscalingv2.HorizontalPodAutoscaler{}
	case "serving.kserve.io/v1beta1 InferenceService":
		v = &inferenceService{}
	default:
		return nil, fmt.Errorf("no API type known for %s %s", tm.APIVersion, tm.Kind)
	}
	if err := decodeStrict(doc, v); err != nil {
		return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
	}
	return v, nil
}

func manifests(t *testing.T) map[string][]any {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	out := map[string][]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range documents(data) {
			v, err := object(doc)
			if err != nil {
				t.Errorf("%s, document %d: %v", f, i+1, err)
				continue
			}
			out[f] = append(out[f], v)
		}
	}
	return out
}

// TestManifestsDecodeStrictly: every document of every manifest is a
// known API object without unknown fields.
func TestManifestsDecodeStrictly(t *testing.T) {
	ms := manifests(t)
	for _, f := range []string{"serve.yaml", "inferenceservice.yaml", "eval-job.yaml"} {
		if len(ms[f]) == 0 {
			t.Errorf("%s: no objects", f)
		}
	}
}

// TestStrictDecodingCatchesTypos: the check itself refuses a misspelt
// field.
func TestStrictDecodingCatchesTypos(t *testing.T) {
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n")
	if _, err := object(doc); err == nil || !strings.Contains(err.Error(), `unknown field "replica"`) {
		t.Errorf("error %v, want unknown field \"replica\"", err)
	}
}

func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// TestServeDeployment: the probes are the v2 health endpoints, the
// grace period covers the drain, the pod runs as non-root with limits,
// and the Service and the autoscaler point at the Deployment.
func TestServeDeployment(t *testing.T) {
	var dep *appsv1.Deployment
	var svc *corev1.Service
	var hpa *autoscalingv2.HorizontalPodAutoscaler
	for _, v := range manifests(t)["serve.yaml"] {
		switch o := v.(type) {
		case *appsv1.Deployment:
			dep = o
		case *corev1.Service:
			svc = o
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpa = o
		}
	}
	if dep == nil || svc == nil || hpa == nil {
		t.Fatalf("serve.yaml: Deployment %v, Service %v, HPA %v", dep != nil, svc != nil, hpa != nil)
	}
	pod := dep.Spec.Template.Spec
	c := pod.Containers[0]
	if got := c.ReadinessProbe.HTTPGet.Path; got != "/v2/health/ready" {
		t.Errorf("readiness %s", got)
	}
	if got := c.LivenessProbe.HTTPGet.Path; got != "/v2/health/live" {
		t.Errorf("liveness %s", got)
	}
	if c.Args[0] != "serve" || flagValue(c.Args, "repo") != "/models" || flagValue(c.Args, "addr") != "0.0.0.0:8080" {
		t.Errorf("args %v", c.Args)
	}
	drain := flagValue(c.Args, "drain-timeout")
	var pre int64
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		pre = c.Lifecycle.PreStop.Sleep.Seconds
	}
	if pod.TerminationGracePeriodSeconds == nil || drain != "30s" || *pod.TerminationGracePeriodSeconds < pre+30 {
		t.Errorf("grace period %v for a preStop of %d s and --drain-timeout %s", pod.TerminationGracePeriodSeconds, pre, drain)
	}
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("the pod may run as root")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %v", c.Resources)
	}
	if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/models" }) {
		t.Error("no model repository volume at /models")
	}
	for k, v := range svc.Spec.Selector {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("Service selector %s=%s does not select the pods", k, v)
		}
	}
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != dep.Name {
		t.Errorf("HPA targets %+v", hpa.Spec.ScaleTargetRef)
	}
}

// TestInferenceService: a canary split and the v2 health probes.
func TestInferenceService(t *testing.T) {
	objs := manifests(t)["inferenceservice.yaml"]
	if len(objs) != 1 {
		t.Fatalf("%d objects", len(objs))
	}
	isvc := objs[0].(*inferenceService)
	p := isvc.Spec.Predictor
	if p.CanaryTrafficPercent == nil || *p.CanaryTrafficPercent <= 0 || *p.CanaryTrafficPercent >= 100 {
		t.Errorf("canary %v", p.CanaryTrafficPercent)
	}
	c := p.Containers[0]
	if c.ReadinessProbe.HTTPGet.Path != "/v2/health/ready" || c.LivenessProbe.HTTPGet.Path != "/v2/health/live" {
		t.Errorf("probes %s %s", c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path)
	}
}
