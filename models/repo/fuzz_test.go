package repo

import "testing"

// FuzzParse: no manifest, however corrupt, panics the parser, and what it
// accepts survives a round trip.
func FuzzParse(f *testing.F) {
	good, err := validManifest().Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"rewardvision.model/v2","graphs":{"encoder":{"file":"../x"}}}`))
	f.Add([]byte(`{"graphs":{"encoder":{"inputs":[{"dims":[-1,"",1e99]}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		again, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(again); err != nil {
			t.Fatalf("accepted manifest does not parse after a round trip: %v", err)
		}
	})
}
