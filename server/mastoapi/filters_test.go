package mastoapi

import (
	"testing"

	"roost/store"
)

func TestKeywordIn(t *testing.T) {
	for _, tc := range []struct {
		text, keyword string
		whole, want   bool
	}{
		{"I love cats.", "cats", true, true},
		{"bobcats", "cats", true, false},
		{"bobcats", "cats", false, true},
		{"CATS!", "cats", true, true},
		{"#cats", "#cats", true, true},
		{"x#catsy", "#cats", true, false},
		{"über-Katze", "über", true, true},
		{"grüber", "über", true, false},
		{"cats cats", "cats", true, true},
		{"", "cats", false, false},
	} {
		if got := keywordIn(tc.text, store.FilterKeyword{Keyword: tc.keyword, WholeWord: tc.whole}); got != tc.want {
			t.Errorf("keywordIn(%q, %q, whole=%v) = %v, want %v", tc.text, tc.keyword, tc.whole, got, tc.want)
		}
	}
}
