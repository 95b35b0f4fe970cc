package seed

import (
	"encoding/json"
	"testing"
)

// TestStandIn: without Synthea bundles the demo records are valid FHIR
// bundles with something to summarise (not empty bundles).
func TestStandIn(t *testing.T) {
	var b struct {
		ResourceType string
		Entry        []struct{ Resource struct{ ResourceType string } }
	}
	if err := json.Unmarshal(standIn(3), &b); err != nil || b.ResourceType != "Bundle" || len(b.Entry) != 6 {
		t.Fatalf("stand-in bundle: %v %+v", err, b)
	}
	kinds := map[string]bool{}
	for _, e := range b.Entry {
		kinds[e.Resource.ResourceType] = true
	}
	for _, k := range []string{"Patient", "Condition", "AllergyIntolerance", "MedicationRequest", "Encounter", "Observation"} {
		if !kinds[k] {
			t.Errorf("no %s in the stand-in bundle", k)
		}
	}
}
