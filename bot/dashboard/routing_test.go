package dashboard

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docent-bot/docent/bot/bottest"
	"github.com/docent-bot/docent/chat"
)

// The routing module's page lists the open questions with the members
// likely to answer them, helpers marked, and the helpers.
func TestRoutingPage(t *testing.T) {
	s := startServerWith(t, Options{}, "routing:\n  enabled: true\n")
	conv := chat.Conversation{Platform: "web", Channel: "v1"}
	ann := chat.Member{ID: "v-ann", Name: "ann"}
	bob := chat.Member{ID: "v-bob", Name: "bob"}
	dan := chat.Member{ID: "v-dan", Name: "dan"}
	// Every message is stored before it is answered; the answers do not
	// matter here.
	for _, m := range []struct {
		who  chat.Member
		text string
	}{
		{bob, "how do I configure LDAP authentication for logins?"},
		{ann, "bob: set the ldap url in authentication-ldap.cfg"},
		{ann, "!helper on ldap"},
		{dan, "does anyone know why LDAP login times out?"},
	} {
		bottest.Ask(t, s.bot.Inbox(), conv, m.who, m.text)
	}
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		var code int
		code, body = get(t, http.DefaultClient, s.ops+"/admin/routing")
		if code != http.StatusOK {
			t.Fatalf("GET /admin/routing: %d\n%s", code, body)
		}
		if strings.Contains(body, "why LDAP login times out") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		`<a href="/admin/routing" class="here">Who can help</a>`,
		"<td>dan</td><td>web/v1</td><td>does anyone know why LDAP login times out?</td><td>ann ✓ (ldap)",
		"<tr><td>ann</td><td>ldap</td><td>0</td></tr>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the routing page lacks %q:\n%s", want, body)
		}
	}
}
