package serve

import (
	"errors"
	"testing"

	"rewardvision/api"
)

func TestNegotiate(t *testing.T) {
	both := []string{api.MediaJSON, api.MediaPNG}
	jsonOnly := both[:1]
	for _, tc := range []struct {
		accept string
		offers []string
		want   string // "" = 406
	}{
		{"", both, api.MediaJSON},
		{"*/*", both, api.MediaJSON},
		{"application/json", both, api.MediaJSON},
		{"image/png", both, api.MediaPNG},
		{"IMAGE/PNG", both, api.MediaPNG},
		{"image/*", both, api.MediaPNG},
		{"image/png, */*;q=0.8", both, api.MediaPNG},
		{"image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", both, api.MediaPNG}, // a browser's <img>
		{"application/json;q=0.5, image/png", both, api.MediaPNG},
		{"image/png;q=0.4, application/json;q=0.9", both, api.MediaJSON},
		{"image/png, application/json", both, api.MediaJSON},          // a tie: the server's preference
		{"image/png;q=0.5, application/*;q=0.5", both, api.MediaJSON}, // a tie again
		{"*/*, image/png;q=0", both, api.MediaJSON},                   // the specific range wins, q=0 refuses
		{"*/*;q=0.1, application/json;q=0", both, api.MediaPNG},
		{"application/json; charset=utf-8", both, api.MediaJSON},
		{"image/png; q=1.0", both, api.MediaPNG},
		{"text/html", both, ""},
		{"image/png;q=0, application/json;q=0", both, ""},
		{"image/png", jsonOnly, ""}, // compare: JSON only
		{"image/png, */*;q=0.01", jsonOnly, api.MediaJSON},
		// Unreadable ranges are left out; with none left, anything goes.
		{"image/png;q=2, application/json;q=0.3", both, api.MediaJSON},
		{"garbage", both, api.MediaJSON},
		{"*/png", both, api.MediaJSON},
		{",,", both, api.MediaJSON},
	} {
		got, err := negotiate(tc.accept, tc.offers)
		if tc.want == "" {
			if !errors.Is(err, ErrNotAcceptable) {
				t.Errorf("Accept %q, offers %v: %q, %v; want 406", tc.accept, tc.offers, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Accept %q, offers %v: %q, %v; want %s", tc.accept, tc.offers, got, err, tc.want)
		}
	}
}
