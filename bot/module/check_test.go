package module

import (
	"testing"

	"github.com/docent-bot/docent/bot/config"
)

// TestCheckPath scopes a field to the section the way the decoder names
// it: a field, an item of a list, and a map key that is not a plain name,
// which is quoted in brackets right after the section (links["a.b"]).
func TestCheckPath(t *testing.T) {
	pos := config.Positions{"": {File: "docent.yaml", Line: 1, Column: 1},
		"links": {File: "docent.yaml", Line: 4, Column: 1}, `links["a.b"]`: {File: "docent.yaml", Line: 5, Column: 10}}
	c := NewCheck("links", pos, nil, nil)
	for field, want := range map[string]string{"": "links", "docs": "links.docs", "folders[2].path": "links.folders[2].path",
		`["a.b"]`: `links["a.b"]`, "[3]": "links[3]"} {
		if got := c.Path(field); got != want {
			t.Errorf("Path(%q) = %q, want %q", field, got, want)
		}
	}
	c.Errorf(`["a.b"]`, "is %s", c.Show(`["a.b"]`, "nowhere"))
	if got, want := c.Errors().Error(), `docent.yaml:5:10: links["a.b"]: is "nowhere"`; got != want {
		t.Errorf("Errorf = %q, want %q", got, want)
	}
}
